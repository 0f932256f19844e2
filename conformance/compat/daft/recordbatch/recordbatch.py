from daft.recordbatch import RecordBatch

__all__ = ["RecordBatch"]
