"""Bad input (a corrupt file, a wrong type, an unknown column) raises the
exception class Daft raises, with a message that names the thing: the file
(and its line where the reader knows it), the column and the types.

One table, one test: each row builds the bad input under a temporary folder
and triggers the error. To cover another case, add a `Case` to `CASES`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import ketch
from ketch import DataType, col
from ketch.exceptions import DaftCoreException, InvalidSQLException

# Wording that must never reach a user: DataFusion's ("likely a bug in
# DataFusion") and ketch's internal names (`__ketch_left.a`).
FORBIDDEN = ("DataFusion", "__ketch")


@dataclass(frozen=True)
class Case:
    id: str
    # Triggers the error; gets a fresh temporary folder for its files.
    trigger: Callable[[Path], object]
    # The exception's exact class.
    raises: type[BaseException]
    # Substrings the message must contain; "{dir}" stands for the folder.
    contains: tuple[str, ...]


# --- bad files ---------------------------------------------------------------


def truncated_parquet(d: Path, name: str = "trunc.parquet") -> str:
    path = d / name
    pq.write_table(pa.table({"a": list(range(1000))}), path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return str(path)


def parquet_folder_with_one_truncated(d: Path) -> str:
    folder = d / "parts"
    folder.mkdir()
    for i in range(4):
        pq.write_table(pa.table({"a": list(range(100))}), folder / f"part-{i}.parquet")
    truncated_parquet(folder, "part-2.parquet")
    return str(folder)


def corrupt_page_parquet(d: Path) -> str:
    """Snappy-compressed pages with bytes flipped inside the first data page
    (the footer stays intact, so the file opens and fails when decoded)."""
    path = d / "corrupt.parquet"
    pq.write_table(pa.table({"s": [f"value-{i}" for i in range(20000)]}), path, compression="snappy")
    data = bytearray(path.read_bytes())
    for i in range(len(data) // 4, len(data) // 4 + 64):
        data[i] ^= 0x5A
    path.write_bytes(bytes(data))
    return str(path)


def json_lines(d: Path, line3: str) -> str:
    path = d / "bad.jsonl"
    path.write_text('{"a": 1}\n{"a": 2}\n' + line3 + '\n{"a": 4}\n')
    return str(path)


def csv_file(d: Path, text: str) -> str:
    path = d / "bad.csv"
    path.write_text(text)
    return str(path)


def big_csv_with_bad_value_near_the_end(d: Path) -> str:
    """18 MB: with 2+ cores DataFusion reads it as byte ranges (files over
    10 MB are split), so the bad value is in the last range, on line
    1,199,992 of the file (the reader counts lines from its range's start)."""
    path = d / "big.csv"
    rows = [f"{i},1234567\n" for i in range(1_200_000)]
    rows[1_200_000 - 10] = "x,1234567\n"
    path.write_text("a,b\n" + "".join(rows))
    return str(path)


INT_A = {"a": DataType.int64()}
INTS_AB = {"a": DataType.int64(), "b": DataType.int64()}
EXTRA_FIELD_ON_LINE_4 = "a,b\n1,2\n3,4\n5,6,7\n8,9\n"


def strings():
    return ketch.from_pydict({"s": ["x", "y"], "g": [1, 1], "i": [1, 2]})


@ketch.func
def echo_as_int(s: str) -> int:
    return s  # declared int, returns the string as it is


@ketch.func(return_dtype=DataType.list(DataType.int64()))
def int_list(s: str):
    return [1, s]


def write_into_a_file(d: Path) -> object:
    (d / "taken").write_text("a file, not a folder")
    return ketch.from_pydict({"a": [1]}).write_parquet(str(d / "taken"))


# --- the table ---------------------------------------------------------------

CASES = [
    # A truncated Parquet file: at DataFrame build (schema inference), at
    # collect (schema given), and as one file among several.
    Case(
        "parquet-truncated-at-build",
        lambda d: ketch.read_parquet(truncated_parquet(d)),
        DaftCoreException,
        ("{dir}/trunc.parquet", "Corrupt footer"),
    ),
    Case(
        "parquet-truncated-at-collect",
        lambda d: ketch.read_parquet(truncated_parquet(d), schema=INT_A, infer_schema=False).collect(),
        DaftCoreException,
        ("{dir}/trunc.parquet", "Corrupt footer"),
    ),
    Case(
        "parquet-truncated-one-of-many",
        lambda d: ketch.read_parquet(parquet_folder_with_one_truncated(d)).collect(),
        DaftCoreException,
        ("{dir}/parts/part-2.parquet", "Corrupt footer"),
    ),
    Case(
        "parquet-truncated-one-of-many-at-collect",
        lambda d: ketch.read_parquet(
            parquet_folder_with_one_truncated(d) + "/*.parquet", schema=INT_A, infer_schema=False
        ).collect(),
        DaftCoreException,
        ("{dir}/parts/part-2.parquet", "Corrupt footer"),
    ),
    # A data page that does not decompress.
    Case(
        "parquet-corrupt-page",
        lambda d: ketch.read_parquet(corrupt_page_parquet(d)).collect(),
        DaftCoreException,
        ("{dir}/corrupt.parquet", "snappy"),
    ),
    # Invalid JSON on line 3: at schema inference and when reading.
    Case(
        "json-invalid-line-at-build",
        lambda d: ketch.read_json(json_lines(d, '{"a": 3,,}')),
        DaftCoreException,
        ("{dir}/bad.jsonl", "line 3", "Invalid JSON"),
    ),
    Case(
        "json-invalid-line-at-collect",
        lambda d: ketch.read_json(json_lines(d, '{"a": tru}'), schema=INT_A, infer_schema=False).collect(),
        DaftCoreException,
        ("{dir}/bad.jsonl", "line 3", "Invalid JSON"),
    ),
    Case(
        "json-value-of-wrong-type",
        lambda d: ketch.read_json(json_lines(d, '{"a": "x"}'), schema=INT_A, infer_schema=False).collect(),
        DaftCoreException,
        ("{dir}/bad.jsonl", "'a'", '"x"', "Int64"),
    ),
    # A CSV row with an extra field (line 4): at inference and when reading.
    Case(
        "csv-extra-field-at-build",
        lambda d: ketch.read_csv(csv_file(d, EXTRA_FIELD_ON_LINE_4)),
        DaftCoreException,
        ("{dir}/bad.csv", "line 4"),
    ),
    Case(
        "csv-extra-field-at-collect",
        lambda d: ketch.read_csv(csv_file(d, EXTRA_FIELD_ON_LINE_4), schema=INTS_AB, infer_schema=False).collect(),
        DaftCoreException,
        ("{dir}/bad.csv", "line 4"),
    ),
    # A value that does not parse as the column's type, on line 3 (Daft reads
    # it as null; ketch raises, naming the file, line, value and type).
    Case(
        "csv-value-of-wrong-type",
        lambda d: ketch.read_csv(csv_file(d, "a,b\n1,2\nx,3\n"), schema=INTS_AB, infer_schema=False).collect(),
        DaftCoreException,
        ("{dir}/bad.csv", "line 3", "'x'", "Int64"),
    ),
    Case(
        "csv-value-of-wrong-type-in-second-byte-range",
        lambda d: (
            ketch.read_csv(big_csv_with_bad_value_near_the_end(d), schema=INTS_AB, infer_schema=False)
            .where(col("a") > 0)
            .collect()
        ),
        DaftCoreException,
        ("{dir}/big.csv", "line 1199992", "'x'"),
    ),
    # Aggregations of a type they do not take.
    Case(
        "sum-of-strings",
        lambda d: strings().sum("s"),
        DaftCoreException,
        ("sum", "col(s)", "String"),
    ),
    Case(
        "mean-of-strings",
        lambda d: strings().mean("s"),
        DaftCoreException,
        ("mean", "col(s)", "String"),
    ),
    Case(
        "groupby-sum-of-strings",
        lambda d: strings().groupby("g").agg(col("s").sum()),
        DaftCoreException,
        ("sum", "col(s)", "String"),
    ),
    Case(
        "stddev-of-strings",
        lambda d: strings().agg(col("s").stddev()),
        DaftCoreException,
        ("stddev", "col(s)", "String"),
    ),
    Case(
        "sql-sum-of-strings",
        lambda d: ketch.sql("select sum(s) from t", t=strings()),
        InvalidSQLException,
        ("sum", "String"),
    ),
    # Unknown columns.
    Case(
        "join-on-unknown-key",
        lambda d: strings().join(strings(), on="zz"),
        DaftCoreException,
        ("'zz'", "Available columns: s, g, i"),
    ),
    Case(
        "join-right-on-unknown-key",
        lambda d: strings().join(ketch.from_pydict({"b": [1]}), left_on="i", right_on="zz"),
        DaftCoreException,
        ("'zz'", "right side", "Available columns: b"),
    ),
    Case(
        "sort-by-unknown-column",
        lambda d: strings().sort("zz"),
        DaftCoreException,
        ("'zz'", "Available columns: s, g, i"),
    ),
    Case(
        "groupby-unknown-column",
        lambda d: strings().groupby("zz").agg(col("i").sum()),
        DaftCoreException,
        ("'zz'", "Available columns: s, g, i"),
    ),
    # Comparing a string column with a number (Daft: a type error at planning).
    Case(
        "where-string-equals-int",
        lambda d: strings().where(col("s") == 1),
        DaftCoreException,
        ("col(s)", "String", "Int64", "comparison"),
    ),
    Case(
        "sql-where-string-equals-int",
        lambda d: ketch.sql("select * from t where s = 1", t=strings()),
        InvalidSQLException,
        ("String", "Int64", "comparison"),
    ),
    # A UDF's value that cannot be converted to its declared type (Daft: a
    # silent null, or a panic for a dict): the UDF, row, value type, declared type.
    Case(
        "udf-value-not-convertible-to-the-hint",
        lambda d: ketch.from_pydict({"s": ["12", "not an int"]}).select(echo_as_int(col("s"))).collect(),
        ketch.exceptions.UDFException,
        ("echo_as_int", "row 1", "of type str", "Int64"),
    ),
    Case(
        "udf-list-item-not-convertible",
        lambda d: ketch.from_pydict({"s": ["x"]}).select(int_list(col("s"))).collect(),
        ketch.exceptions.UDFException,
        ("int_list", "row 0", "str", "List[Int64]"),
    ),
    # A write whose target is a file, not a folder: the error names the path.
    Case(
        "write-into-a-file",
        write_into_a_file,
        DaftCoreException,
        ("{dir}/taken",),
    ),
    Case(
        "with-column-string-greater-than-int-column",
        lambda d: strings().with_column("c", col("s") > col("i")),
        DaftCoreException,
        ("col(s)", "col(i)", "String", "Int64"),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_input(case: Case, tmp_path: Path):
    with pytest.raises(BaseException) as info:
        case.trigger(tmp_path)
    err = info.value
    msg = str(err)
    assert type(err) is case.raises, f"{type(err).__name__}: {msg}"
    for part in case.contains:
        assert part.replace("{dir}", str(tmp_path)) in msg, f"{part!r} not in {msg!r}"
    for word in FORBIDDEN:
        assert word not in msg, msg


def test_cases_have_unique_ids():
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))


def test_join_of_number_and_string_keys_compares_strings():
    """Daft's supertype of a number and a string key is the string: rows match
    by their text (DataFusion would cast the strings to numbers and fail)."""
    left = ketch.from_pydict({"a": [1, 2]})
    right = ketch.from_pydict({"a": ["1", "x"], "b": [10, 20]})
    assert left.join(right, on="a").to_pydict() == {"a": [1], "b": [10]}
    assert right.join(left, on="a", how="left").sort("b").to_pydict() == {"a": ["1", "x"], "b": [10, 20]}
    outer = left.join(right, on="a", how="outer").sort("a").to_pydict()
    assert outer == {"a": ["1", "2", "x"], "b": [10, None, 20]}
