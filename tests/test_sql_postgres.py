"""``read_sql`` / ``write_sql`` against a real PostgreSQL server, started by the
module's fixture (the ``pgserver`` wheel ships PostgreSQL 16; it listens on a
Unix socket in the test's folder) and stopped after. Values are checked
against psycopg2 reading the same tables and against daft==0.7.26."""

from __future__ import annotations

import daft
import pgserver
import pytest
import sqlalchemy

import ketch
from ketch import col


@pytest.fixture(scope="module")
def postgres(tmp_path_factory):
    """A SQLAlchemy URL (psycopg2 over the server's Unix socket) of a database holding table ``t``."""
    server = pgserver.get_server(tmp_path_factory.mktemp("pg"), cleanup_mode="stop")
    url = server.get_uri().replace("postgresql://", "postgresql+psycopg2://")
    engine = sqlalchemy.create_engine(url)
    with engine.begin() as c:
        c.execute(
            sqlalchemy.text(
                "CREATE TABLE t (id int, value double precision, label text, flag boolean, day date, "
                "ts timestamp, amount numeric(10, 2))"
            )
        )
        c.execute(
            sqlalchemy.text(
                "INSERT INTO t SELECT i, i / 2.0, 'row_' || i, i % 2 = 0, date '2024-01-01' + i, "
                "timestamp '2024-01-01' + i * interval '1 hour', i * 1.25 FROM generate_series(0, 49) i"
            )
        )
        c.execute(sqlalchemy.text("INSERT INTO t VALUES (NULL, NULL, NULL, NULL, NULL, NULL, NULL)"))
    yield url, engine
    engine.dispose()
    server.cleanup()


def _rows(engine, query: str) -> list[tuple]:
    with engine.connect() as c:
        return [tuple(r) for r in c.execute(sqlalchemy.text(query))]


@pytest.mark.parametrize("num_partitions", [None, 3])
@pytest.mark.parametrize("strategy", ["min-max", "percentile"])
def test_read_sql_postgres_matches_psycopg2_and_daft(postgres, num_partitions, strategy) -> None:
    url, engine = postgres
    kwargs = {"partition_col": "id", "num_partitions": num_partitions} if num_partitions else {}
    query = "SELECT * FROM t WHERE id IS NOT NULL"
    df = ketch.read_sql(query, lambda: engine.connect(), partition_bound_strategy=strategy, **kwargs)
    got = df.sort("id").to_pydict()
    rows = _rows(engine, query + " ORDER BY id")
    names = ["id", "value", "label", "flag", "day", "ts", "amount"]
    assert got == {n: [r[i] for r in rows] for i, n in enumerate(names)}
    ref = daft.read_sql(query, lambda: engine.connect(), partition_bound_strategy=strategy, **kwargs)
    assert got == ref.sort("id").to_pydict()
    assert [(f.name, str(f.dtype)) for f in df.schema()] == [(f.name, str(f.dtype)) for f in ref.schema()]
    # The same through a URL with a driver (SQLAlchemy).
    assert ketch.read_sql(query, url, **kwargs).sort("id").to_pydict() == got


def test_read_sql_postgres_pushdowns_and_counts(postgres) -> None:
    url, engine = postgres
    df = ketch.read_sql("SELECT * FROM t", url, partition_col="id", num_partitions=4)
    assert df.count_rows() == 51
    assert df.where(col("flag")).count_rows() == 25
    got = df.where((col("id") >= 45) & (col("label") != "row_47")).select("label").sort("label").to_pydict()
    assert got == {"label": ["row_45", "row_46", "row_48", "row_49"]}
    assert df.agg(col("amount").sum()).to_pydict()["amount"][0] == sum(
        r[0] for r in _rows(engine, "SELECT amount FROM t WHERE amount IS NOT NULL")
    )


def test_write_sql_postgres(postgres) -> None:
    url, engine = postgres
    frame = ketch.from_pydict({"id": [1, 2, 3], "name": ["x", None, "z"], "score": [0.5, 1.5, None]})
    frame.write_sql("w", url)
    assert _rows(engine, "SELECT id, name, score FROM w ORDER BY id") == [(1, "x", 0.5), (2, None, 1.5), (3, "z", None)]
    frame.write_sql("w", url)  # append
    assert _rows(engine, "SELECT count(*) FROM w") == [(6,)]
    frame.where(col("id") == 1).write_sql("w", url, write_mode="overwrite")
    assert _rows(engine, "SELECT id FROM w") == [(1,)]
    with pytest.raises(ValueError, match="already exists"):
        frame.write_sql("w", url, write_mode="fail")

    @ketch.func(return_dtype=ketch.DataType.int64())
    def explode_at_3(x: int) -> int:
        if x == 3:
            raise ValueError("bad row")
        return x

    failing = ketch.from_pydict({"id": list(range(10))}).into_batches(2).select(explode_at_3(col("id")).alias("id"))
    with pytest.raises(Exception, match="bad row"):
        failing.write_sql("w", url, write_mode="overwrite")
    assert _rows(engine, "SELECT id FROM w") == [(1,)]  # a failed overwrite leaves the table as it was
    assert ketch.read_sql("SELECT * FROM w", url).to_pydict() == {"id": [1], "name": ["x"], "score": [0.5]}
