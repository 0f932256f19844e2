from ketch.recordbatch import MicroPartition

__all__ = ["MicroPartition"]
