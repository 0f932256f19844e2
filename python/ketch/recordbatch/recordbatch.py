from ketch.recordbatch import RecordBatch

__all__ = ["RecordBatch"]
