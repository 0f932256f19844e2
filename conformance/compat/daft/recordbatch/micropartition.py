from daft.recordbatch import MicroPartition

__all__ = ["MicroPartition"]
