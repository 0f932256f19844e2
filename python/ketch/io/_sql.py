"""SQL databases: ``read_sql`` and ``DataFrame.write_sql`` (Daft's
``daft.io._sql`` and ``daft.sql.sql_connection``), through SQLAlchemy, with
ConnectorX for the databases it reads (a URL without a driver: ``sqlite://``,
``postgresql://``, ``mysql://``, ...) and SQLGlot to wrap the query in the
database's dialect.

A read is a :class:`ketch.io.source.DataSource`: the schema is read when
``read_sql`` is called (the query with ``LIMIT``), the rows when the DataFrame
runs, as one query per partition. The columns the DataFrame reads, its filters
(where SQLGlot can translate them) and its limit are pushed into that query
unless ``disable_pushdowns_to_sql``; ketch applies filters and limits again
after the read, so a filter the database evaluates differently cannot add rows.

>>> import sqlite3, tempfile, os, ketch
>>> path = os.path.join(tempfile.mkdtemp(), "db.sqlite")
>>> with sqlite3.connect(path) as db:
...     _ = db.execute("CREATE TABLE t (id INTEGER, name TEXT)")
...     _ = db.executemany("INSERT INTO t VALUES (?, ?)", [(1, "a"), (2, "b"), (3, "c")])
>>> ketch.read_sql("SELECT * FROM t", f"sqlite:///{path}").where(ketch.col("id") > 1).to_pydict()
{'id': [2, 3], 'name': ['b', 'c']}
"""

from __future__ import annotations

import json
import logging
import math
import uuid
import warnings
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlparse

import numpy as np
import pyarrow as pa

from ketch import dataframe as _dataframe
from ketch.context import get_context
from ketch.dataframe import DataFrame
from ketch.datatype import DataType, _as_dtype
from ketch.io.pushdowns import Pushdowns
from ketch.io.sink import DataSink, WriteResult
from ketch.io.source import DataSource, DataSourceTask
from ketch.recordbatch import MicroPartition
from ketch.schema import Schema

logger = logging.getLogger(__name__)

# Databases ConnectorX reads (its README's sources), when the URL names no driver.
_CONNECTORX_DATABASES = {
    "postgres",
    "postgresql",
    "mysql",
    "mssql",
    "oracle",
    "bigquery",
    "sqlite",
    "clickhouse",
    "redshift",
}
# SQLAlchemy dialect names SQLGlot knows under another name.
_SQLGLOT_DIALECTS = {"postgresql": "postgres", "mssql": "tsql", "awsathena": "athena"}


class SQLConnection:
    """A database to query: a SQLAlchemy URL or a factory of SQLAlchemy
    connections (Daft's ``daft.sql.sql_connection.SQLConnection``). Its repr
    and error messages never show the URL (it may hold a password or token).

    >>> from ketch.io._sql import SQLConnection
    >>> SQLConnection.from_url("postgresql+psycopg2://u:secret@host/db")
    SQLConnection(dialect='postgresql', driver='psycopg2')
    """

    def __init__(self, conn: str | Callable[[], Any], driver: str, dialect: str, url: str) -> None:
        self.conn = conn
        self.dialect = dialect
        self.driver = driver
        self.url = url

    def __repr__(self) -> str:
        return f"SQLConnection(dialect={self.dialect!r}, driver={self.driver!r})"

    @classmethod
    def from_url(cls, url: str) -> SQLConnection:
        """A connection to ``url`` (``dialect[+driver]://...``)."""
        scheme = urlparse(url).scheme.strip().lower()
        dialect, _, driver = scheme.partition("+")
        return cls(url, driver, dialect, url)

    @classmethod
    def from_connection_factory(cls, conn_factory: Callable[[], Any]) -> SQLConnection:
        """A connection made by calling ``conn_factory`` (it must return a
        SQLAlchemy ``Connection``; called once here to learn the dialect).

        Raises:
            ValueError: the factory fails or returns something else.
        """
        from sqlalchemy.engine import Connection

        try:
            with conn_factory() as connection:
                if not isinstance(connection, Connection):
                    raise ValueError(
                        f"Connection factory must return a SQLAlchemy connection object, got: {type(connection)}"
                    )
                dialect = connection.engine.dialect.name
                driver = connection.engine.driver
                url = connection.engine.url.render_as_string(hide_password=True)
            return cls(conn_factory, driver, dialect, url)
        except Exception as e:
            raise ValueError(f"Unexpected error while calling the connection factory: {e}") from e

    def read_schema(self, sql: str, infer_schema_length: int) -> Schema:
        """The schema of ``sql``'s result, from its first ``infer_schema_length`` rows
        (no rows with ConnectorX, which reports the database's types)."""
        limit = 0 if self._should_use_connectorx() else infer_schema_length
        table = self.execute_sql_query(self.construct_sql_query(sql, limit=limit))
        return Schema.from_pyarrow_schema(table.schema)

    def construct_sql_query(
        self,
        sql: str,
        projection: list[str] | None = None,
        predicate: str | None = None,
        limit: int | None = None,
        partition_bounds: tuple[str, str] | None = None,
    ) -> str:
        """``sql`` as a subquery with the projection, predicate, partition
        bounds and limit applied, in the database's dialect (``sql`` itself
        when there are none).

        Raises:
            ValueError: SQLGlot does not know the database's dialect.
        """
        if projection is None and predicate is None and limit is None and partition_bounds is None:
            return sql
        import sqlglot

        dialect = _SQLGLOT_DIALECTS.get(self.dialect, self.dialect)
        if not any(dialect == d.value for d in sqlglot.Dialects):
            raise ValueError(
                f"Unsupported dialect: {dialect}, please refer to the documentation for supported dialects."
            )
        query = sqlglot.subquery(sql, "subquery", dialect=dialect)
        query = query.select(*projection) if projection is not None else query.select("*")
        if predicate is not None:
            query = query.where(predicate)
        if partition_bounds is not None:
            query = query.where(partition_bounds[0]).where(partition_bounds[1])
        if limit is not None:
            query = query.limit(limit)
        return query.sql(dialect=dialect)

    def _should_use_connectorx(self) -> bool:
        return isinstance(self.conn, str) and self.dialect in _CONNECTORX_DATABASES and self.driver == ""

    def execute_sql_query(self, sql: str, schema: pa.Schema | None = None) -> pa.Table:
        """Runs ``sql``; its rows as an Arrow table (of ``schema`` when given).

        Raises:
            RuntimeError: the database or driver failed (the URL is not shown).
        """
        if schema is None and self._should_use_connectorx():
            import connectorx as cx

            logger.info("Using connectorx to execute sql: %s", sql)
            try:
                return cx.read_sql(conn=self.conn, query=sql, return_type="arrow")
            except Exception as e:
                raise RuntimeError(f"Failed to execute sql: {sql}, error: {e}") from e
        from sqlalchemy import create_engine, text

        logger.info("Using sqlalchemy to execute sql: %s", sql)
        try:
            if isinstance(self.conn, str):
                engine = create_engine(self.conn)
                try:
                    with engine.connect() as connection:
                        result = connection.execute(text(sql))
                        rows = result.fetchall()
                finally:
                    engine.dispose()
            else:
                with self.conn() as connection:
                    result = connection.execute(text(sql))
                    rows = result.fetchall()
            pydict = {name: [row[i] for row in rows] for i, name in enumerate(result.keys())}
            return pa.Table.from_pydict(pydict, schema=schema)
        except Exception as e:
            raise RuntimeError(f"Failed to execute sql: {sql}, error: {e}") from e


def _schema_from_dict(schema: dict[str, DataType]) -> Schema:
    return Schema.from_pydict({name: _as_dtype(dtype) for name, dtype in schema.items()})


def _sql_literal(value: Any) -> str | None:
    """A partition bound as a SQL literal (numbers and datetimes)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float, np.integer, np.floating)):
        return repr(value.item() if isinstance(value, np.generic) else value)
    if hasattr(value, "isoformat"):
        return f"'{value.isoformat(sep=' ') if hasattr(value, 'hour') else value.isoformat()}'"
    return None


class _SQLSource(DataSource):
    def __init__(
        self,
        sql: str,
        conn: SQLConnection,
        disable_pushdowns_to_sql: bool,
        schema: Schema,
        partition_col: str | None,
        num_partitions: int | None,
        partition_bound_strategy: str,
    ) -> None:
        self.sql = sql
        self.conn = conn
        self.disable_pushdowns = disable_pushdowns_to_sql
        self._schema = schema
        self.partition_col = partition_col
        self.num_partitions = num_partitions
        self.strategy = partition_bound_strategy

    @property
    def name(self) -> str:
        return "SQLScanOperator"

    @property
    def schema(self) -> Schema:
        return self._schema

    def get_tasks(self, pushdowns: Pushdowns) -> Iterator[DataSourceTask]:
        if self.disable_pushdowns:
            pushdowns = Pushdowns()
        num_rows = self._count()
        if self.num_partitions is not None:
            tasks = self.num_partitions
        else:
            row_bytes = sum(_estimate_bytes(f.dtype.to_arrow_dtype()) for f in self._schema)
            partition_bytes = get_context().daft_execution_config.read_sql_partition_size_bytes
            tasks = math.ceil(num_rows * row_bytes / partition_bytes)
        tasks = min(tasks, num_rows)
        if tasks == 0:
            return
        if tasks == 1 or self.partition_col is None:
            yield _SQLTask(self, pushdowns, None)
            return
        bounds = self._bounds(tasks)
        literals = [_sql_literal(b) for b in bounds] if bounds is not None else None
        if bounds is None or literals is None or any(b is None for b in literals):
            warnings.warn(
                "Unable to partition the data using the specified column. Falling back to a single scan task.",
                stacklevel=2,
            )
            yield _SQLTask(self, pushdowns, None)
            return
        if any(lo >= hi for lo, hi in zip(bounds, bounds[1:])):
            warnings.warn(
                "Partition bounds are degenerate (e.g. min equals max, zero-width ranges). "
                "Falling back to a single scan task.",
                stacklevel=2,
            )
            yield _SQLTask(self, pushdowns, None)
            return
        column = self.partition_col
        for i in range(tasks - 1):
            yield _SQLTask(self, pushdowns, (f"{column} >= {literals[i]}", f"{column} < {literals[i + 1]}"))
        # The last partition also takes the rows whose partition column is NULL
        # (Daft's bounds drop them: a partitioned read then loses rows a plain one returns).
        last = (
            f"({column} >= {literals[-2]} OR {column} IS NULL)",
            f"({column} <= {literals[-1]} OR {column} IS NULL)",
        )
        yield _SQLTask(self, pushdowns, last)

    def _count(self) -> int:
        table = self.conn.execute_sql_query(self.conn.construct_sql_query(self.sql, projection=["COUNT(*)"]))
        if table.num_rows != 1 or table.num_columns != 1:
            raise RuntimeError("Failed to get the number of rows: COUNT(*) returned an unexpected result.")
        return int(table.column(0)[0].as_py())

    def _bounds(self, tasks: int) -> list[Any] | None:
        dtype = self._schema[self.partition_col].dtype
        if not (dtype.is_temporal() or dtype.is_numeric()):
            raise ValueError(
                f"Failed to get partition bounds: {self.partition_col} is not a numeric or temporal type, "
                "and cannot be used for partitioning."
            )
        column = self.partition_col
        if self.strategy == "percentile":
            try:
                over = "OVER ()" if self.conn.dialect in ("mssql", "tsql") else ""
                projection = [
                    f"percentile_disc({i / tasks}) WITHIN GROUP (ORDER BY {column}) {over} AS bound_{i}"
                    for i in range(tasks + 1)
                ]
                table = self.conn.execute_sql_query(self.conn.construct_sql_query(self.sql, projection, limit=1))
                if table.num_rows != 1 or table.num_columns != tasks + 1:
                    raise RuntimeError(f"expected 1 row of {tasks + 1} percentiles")
                return [table.column(i)[0].as_py() for i in range(tasks + 1)]
            except Exception as e:
                warnings.warn(
                    f"Failed to calculate partition bounds for read_sql using percentile strategy: {e!s}. "
                    "Falling back to MIN_MAX strategy.",
                    stacklevel=2,
                )
        arrow_type = dtype.to_arrow_dtype()
        query = self.conn.construct_sql_query(self.sql, projection=[f"MIN({column}) as min", f"MAX({column}) as max"])
        table = self.conn.execute_sql_query(query, schema=pa.schema([("min", arrow_type), ("max", arrow_type)]))
        low, high = table.column(0)[0].as_py(), table.column(1)[0].as_py()
        if low is None or high is None:
            return None
        step = (high - low) / tasks
        return [low + step * i for i in range(tasks)] + [high]


def _estimate_bytes(dtype: pa.DataType) -> int:
    try:
        return max(dtype.bit_width // 8, 1)
    except ValueError:
        return 20  # variable width: Daft's estimate for strings and binaries


class _SQLTask(DataSourceTask):
    def __init__(self, source: _SQLSource, pushdowns: Pushdowns, bounds: tuple[str, str] | None) -> None:
        self.source = source
        self.pushdowns = pushdowns
        self.bounds = bounds

    @property
    def schema(self) -> Schema:
        return self.source.schema

    def read(self) -> Iterator[pa.Table]:
        conn = self.source.conn
        pushdowns = self.pushdowns
        predicate = None
        if pushdowns._sql_filter is not None:
            import sqlglot

            dialect = _SQLGLOT_DIALECTS.get(conn.dialect, conn.dialect)
            try:
                predicate = sqlglot.transpile(pushdowns._sql_filter, read="postgres", write=dialect)[0]
            except Exception:
                predicate = None  # ketch filters the rows after the read anyway
        # A limit is only pushed when every filter is (a limit before a filter drops rows).
        limit = pushdowns.limit if (pushdowns.filters is None or predicate is not None) else None
        # No column wanted (a count): one constant column, so each row still comes back.
        projection = pushdowns.columns if pushdowns.columns != [] else ["1 AS __ketch_row"]
        query = conn.construct_sql_query(
            self.source.sql, projection, predicate=predicate, limit=limit, partition_bounds=self.bounds
        )
        arrow_schema = self.source.schema.to_pyarrow_schema()
        table = conn.execute_sql_query(query)
        wanted = pushdowns.columns if pushdowns.columns is not None else arrow_schema.names
        if not wanted:
            yield table.select([])  # (a cast to the empty schema would drop the row count)
            return
        yield table.select(wanted).cast(pa.schema([arrow_schema.field(c) for c in wanted]))


def read_sql(
    sql: str,
    conn: Callable[[], Any] | str,
    partition_col: str | None = None,
    num_partitions: int | None = None,
    partition_bound_strategy: str = "min-max",
    disable_pushdowns_to_sql: bool = False,
    infer_schema: bool = True,
    infer_schema_length: int = 10,
    schema: dict[str, DataType] | None = None,
) -> DataFrame:
    """A DataFrame of the rows of a SQL query (Daft's ``read_sql``).

    Args:
        sql (str): the query, in the database's dialect.
        conn (str | Callable): a SQLAlchemy URL (``"sqlite:///file.db"``,
            ``"postgresql://user@host/db"``) or a function returning a
            SQLAlchemy ``Connection``.
        partition_col (str | None): a numeric or temporal column to split the
            read on: one query per range of its values; rows where it is NULL
            are read with the last range (Daft's ranges leave them out).
        num_partitions (int | None): how many ranges (needs
            ``partition_col``); default: the row count times the row size
            over ``read_sql_partition_size_bytes`` of the execution config.
        partition_bound_strategy (str): ``"min-max"`` (equal ranges between
            the column's minimum and maximum) or ``"percentile"``
            (``PERCENTILE_DISC`` bounds; falls back to min-max with a warning
            where the database has no such function).
        disable_pushdowns_to_sql (bool): run ``sql`` exactly as given.
        infer_schema (bool): read the schema from the query's first rows.
        infer_schema_length (int): how many rows to infer it from (SQLAlchemy
            only; ConnectorX reports the database's types).
        schema (dict[str, DataType] | None): the schema when
            ``infer_schema=False``; otherwise type hints that override
            inferred types and add columns.

    Returns:
        DataFrame: lazy; the rows are read when it runs.

    Raises:
        ValueError: ``num_partitions`` without ``partition_col``,
            ``infer_schema=False`` without ``schema``, an unknown
            ``partition_bound_strategy``, or a connection factory that fails.
        RuntimeError: the database rejects the query.
        ImportError: SQLAlchemy (or ConnectorX, SQLGlot) is not installed
            (``pip install 'ketch[sql]'``).
    """
    if num_partitions is not None and partition_col is None:
        raise ValueError("Failed to execute sql: partition_col must be specified when num_partitions is specified")
    if not infer_schema and schema is None:
        raise ValueError(
            "Cannot read DataFrame with infer_schema=False and schema=None, "
            "please provide a schema or set infer_schema=True"
        )
    strategies = {"min-max": "min-max", "min_max": "min-max", "percentile": "percentile"}
    if partition_bound_strategy.lower() not in strategies:
        raise ValueError(f"Invalid partition bound strategy: {partition_bound_strategy}")
    sql_conn = SQLConnection.from_url(conn) if isinstance(conn, str) else SQLConnection.from_connection_factory(conn)
    if schema is not None and not infer_schema:
        resolved = _schema_from_dict(schema)
    else:
        resolved = sql_conn.read_schema(sql, infer_schema_length)
        if schema is not None:
            resolved = resolved.apply_hints(_schema_from_dict(schema))
    source = _SQLSource(
        sql,
        sql_conn,
        disable_pushdowns_to_sql,
        resolved,
        partition_col,
        num_partitions,
        strategies[partition_bound_strategy.lower()],
    )
    return source.read()


# --- write_sql -------------------------------------------------------------


def _is_primitive(dtype: DataType) -> bool:
    return not (
        dtype.is_python()
        or dtype.is_list()
        or dtype.is_struct()
        or dtype.is_map()
        or dtype.is_tensor()
        or dtype.is_image()
        or dtype.is_embedding()
    )


def _as_text(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, (list, tuple, dict)):
        try:
            return json.dumps(value)
        except TypeError:
            return str(value)
    return str(value)


class SQLDataSink(DataSink[None]):
    """The sink behind :meth:`ketch.DataFrame.write_sql`: every partition is
    inserted with ``pandas.DataFrame.to_sql`` on one connection, in one
    transaction with the table's creation or replacement, so a failed write
    leaves the table as it was (Daft commits per partition)."""

    def __init__(
        self,
        table_name: str,
        conn: str | Callable[[], Any],
        write_mode: str,
        column_types: dict[str, Any] | None,
        df_schema: Schema,
        non_primitive_handling: str | None,
    ) -> None:
        self.table_name = table_name
        self.conn = conn
        self.write_mode = write_mode
        self.column_types = column_types
        self.df_schema = df_schema
        self.non_primitive_handling = non_primitive_handling
        self.non_primitive = [f.name for f in df_schema if not _is_primitive(f.dtype)]

    def name(self) -> str:
        return "SQL Data Sink"

    def schema(self) -> Schema:
        return Schema.from_pydict({"total_written_rows": DataType.int64(), "total_written_bytes": DataType.int64()})

    def start(self) -> None:
        if self.non_primitive and self.non_primitive_handling == "error":
            raise ValueError(
                f"Cannot write non-primitive columns {', '.join(self.non_primitive)} to SQL when "
                "non_primitive_handling='error'. Drop or cast these columns, "
                "or choose 'str' or 'bytes' handling instead."
            )
        if self.write_mode == "fail":
            from sqlalchemy import create_engine, inspect

            engine = create_engine(self.conn) if isinstance(self.conn, str) else None
            connection = engine.connect() if engine is not None else self.conn()
            try:
                if inspect(connection).has_table(self.table_name):
                    raise ValueError(f"Table {self.table_name!r} already exists, cannot write with write_mode='fail'.")
            finally:
                connection.close()
                if engine is not None:
                    engine.dispose()

    def _normalize(self, pdf: Any) -> None:
        for column in self.non_primitive:
            if self.non_primitive_handling == "bytes":
                pdf[column] = pdf[column].map(lambda v: None if v is None else str(_as_text(v)).encode("utf-8"))
            else:
                pdf[column] = pdf[column].map(_as_text)

    def write(self, micropartitions: Iterator[MicroPartition]) -> Iterator[WriteResult[None]]:
        from sqlalchemy import create_engine, inspect, text

        engine = create_engine(self.conn) if isinstance(self.conn, str) else None
        connection = engine.connect() if engine is not None else self.conn()
        quote = connection.dialect.identifier_preparer.quote
        exists = inspect(connection).has_table(self.table_name)
        connection.commit()  # ends the transaction the inspection began
        if self.write_mode == "fail" and exists:
            connection.close()
            if engine is not None:
                engine.dispose()
            raise ValueError(f"Table {self.table_name!r} already exists, cannot write with write_mode='fail'.")
        # A new or replaced table is written as a staging table and renamed at
        # the end; appended rows go in one transaction. Either way a failed
        # write leaves the table as it was (DDL is not transactional in every
        # driver, e.g. Python's sqlite3).
        staged = self.write_mode == "overwrite" or not exists
        target = f"{self.table_name}__ketch_{uuid.uuid4().hex[:12]}" if staged else self.table_name
        results = []
        try:
            if staged:
                empty = self.df_schema.to_pyarrow_schema().empty_table().to_pandas()
                self._normalize(empty)
                empty.to_sql(target, con=connection, if_exists="fail", index=False, dtype=self.column_types)
                connection.commit()
            with connection.begin():
                for part in micropartitions:
                    if len(part) == 0:
                        continue
                    pdf = part.to_pandas()
                    self._normalize(pdf)
                    pdf.to_sql(target, con=connection, if_exists="append", index=False, dtype=self.column_types)
                    results.append(WriteResult(result=None, bytes_written=part.size_bytes(), rows_written=len(pdf)))
            if staged:
                with connection.begin():
                    if exists:
                        connection.execute(text(f"DROP TABLE {quote(self.table_name)}"))
                    connection.execute(text(f"ALTER TABLE {quote(target)} RENAME TO {quote(self.table_name)}"))
        except BaseException:
            if connection.in_transaction():
                connection.rollback()
            if staged:
                with connection.begin():
                    connection.execute(text(f"DROP TABLE IF EXISTS {quote(target)}"))
            raise
        finally:
            connection.close()
            if engine is not None:
                engine.dispose()
        yield from results

    def finalize(self, write_results: list[WriteResult[None]]) -> MicroPartition:
        return MicroPartition.from_pydict(
            {
                "total_written_rows": [sum(r.rows_written for r in write_results)],
                "total_written_bytes": [sum(r.bytes_written for r in write_results)],
            }
        )


def write_sql(
    df: DataFrame,
    table_name: str,
    conn: str | Callable[[], Any],
    write_mode: str = "append",
    column_types: dict[str, Any] | None = None,
    non_primitive_handling: str | None = None,
) -> DataFrame:
    """``DataFrame.write_sql`` (see its docstring)."""
    if write_mode not in ("append", "overwrite", "fail"):
        raise ValueError(f"write_mode must be 'append', 'overwrite' or 'fail', got {write_mode!r}")
    if non_primitive_handling not in (None, "str", "bytes", "error"):
        raise ValueError(f"Invalid non_primitive_handling value: {non_primitive_handling!r}")
    sink = SQLDataSink(table_name, conn, write_mode, column_types, df.schema(), non_primitive_handling)
    return df.write_sink(sink)


_dataframe._table_writers["sql"] = write_sql
