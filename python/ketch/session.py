"""``Session``: attached catalogs and tables, the current catalog/namespace,
temporary tables, and SQL over all of them (Daft 0.7.26 API).

The module-level functions (``ketch.attach_table``, ``ketch.list_tables``, ...)
forward to the current session (:func:`current_session`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pyarrow as pa

from ketch.catalog import Catalog, Identifier, MemoryCatalog, MemoryTable, Table, View, _as_dataframe, _matches
from ketch.context import _session
from ketch.dataframe import DataFrame
from ketch.exceptions import DaftCoreException
from ketch.expressions import Expression
from ketch.udf.hints import infer_return_dtype

if TYPE_CHECKING:
    from ketch.schema import Schema


class Session:
    """Holds catalogs and tables that SQL and ``read_table`` resolve by name."""

    def __init__(self) -> None:
        self._catalogs: dict[str, Catalog] = {}
        self._tables: dict[str, Table] = {}  # temporary tables and attached tables
        self._catalog: str | None = None
        self._namespace: Identifier | None = None
        self._functions: dict[str, Any] = {}  # attached functions (SQL UDFs), by alias

    # --- functions --------------------------------------------------------
    def attach_function(self, function: Any, alias: str | None = None) -> None:
        """Attaches a UDF (``@ketch.func``, ``@ketch.func.batch``, ``@ketch.udf``)
        so SQL can call it by ``alias`` (default: the function's name), as
        Daft's ``Session.attach_function``. In SQL, positional arguments are
        expressions and ``name := value`` arguments literal keyword arguments;
        names resolve case-insensitively (two functions whose names differ
        only in case make a call ambiguous). Attaching again replaces.

        >>> import ketch
        >>> @ketch.func.batch(return_dtype=ketch.DataType.int64())
        ... def times(x, n):
        ...     return [v * n for v in x.to_pylist()]
        >>> ketch.attach_function(times)
        >>> ketch.sql("SELECT times(a, n := 10) AS b FROM df", df=ketch.from_pydict({"a": [1, 2]})).to_pydict()
        {'b': [10, 20]}
        >>> ketch.detach_function("times")

        Raises:
            AttributeError: ``function`` has no name and no ``alias`` is given
                (Daft's error for a plain Python function).
        """
        # Daft's name of a UDF is its Python function's (ketch's ``Func.name``
        # is module-qualified, for plans).
        fn = getattr(function, "fn", None) or getattr(function, "func", None)
        name = alias if alias else getattr(fn, "__name__", None) or function.name
        if not isinstance(name, str):
            raise TypeError(f"attach_function: alias must be a str, got {type(name).__name__}")
        self._functions[name] = function

    def detach_function(self, alias: str) -> None:
        """Detaches the function attached as ``alias`` (nothing when there is none, as in Daft)."""
        self._functions.pop(alias, None)

    def get_function(self, name: str, *args: Any) -> Any:
        """Daft's lookup of a *native extension* function by name, called on
        ``args``. ketch loads no native extensions, so, as Daft does for every
        name that is not one: raises ``ValueError`` for an attached Python
        function and ``DaftCoreException`` otherwise."""
        if name in self._functions:
            raise ValueError("get_function only supports native extension functions")
        raise DaftCoreException(f"DaftError::CatalogError Function with name {name} not found!")

    def _sql_functions(self) -> list[tuple[str, pa.Field, Any]]:
        """The attached functions as the planner takes them: name, return field, builder."""
        return [(name, _return_field(name, f), _builder(f)) for name, f in self._functions.items()]

    # --- attach / detach ------------------------------------------------
    def attach(self, object: Catalog | Table | DataFrame, alias: str | None = None) -> None:
        if isinstance(object, Catalog):
            self.attach_catalog(object, alias)
        elif isinstance(object, Table):
            self.attach_table(object, alias)
        elif isinstance(object, DataFrame):
            if alias is None:
                raise ValueError("attaching a DataFrame needs an alias")
            self.attach_view(object, alias)
        else:
            raise TypeError(f"cannot attach a {type(object).__name__}; expected a Catalog, Table or DataFrame")

    def attach_catalog(self, catalog: Catalog, alias: str | None = None) -> Catalog:
        if not isinstance(catalog, Catalog):
            raise TypeError(f"attach_catalog expects a Catalog, got {type(catalog).__name__}")
        name = alias or catalog.name
        if name in self._catalogs:
            raise ValueError(f"a catalog named '{name}' is already attached")
        self._catalogs[name] = catalog
        if self._catalog is None:
            self._catalog = name
        return catalog

    def detach_catalog(self, alias: str) -> None:
        if self._catalogs.pop(alias, None) is None:
            raise ValueError(f"no catalog named '{alias}' is attached; attached: {sorted(self._catalogs)}")
        if self._catalog == alias:
            self._catalog = next(iter(self._catalogs), None)
            self._namespace = None

    def attach_table(self, table: Table | DataFrame, alias: str | None = None) -> Table:
        if isinstance(table, DataFrame):
            if alias is None:
                raise ValueError("attach_table of a DataFrame needs an alias")
            table = View(alias, table)
        if not isinstance(table, Table):
            raise TypeError(f"attach_table expects a Table, got {type(table).__name__}")
        name = alias or table.name
        if name in self._tables:
            raise ValueError(f"a table named '{name}' is already attached")
        self._tables[name] = table
        return table

    def attach_view(self, view: DataFrame, alias: str) -> Table:
        return self.attach_table(View(alias, view), alias)

    def detach_table(self, alias: str) -> None:
        if self._tables.pop(alias, None) is None:
            raise ValueError(f"no table named '{alias}' is attached; attached: {sorted(self._tables)}")

    # --- temporary tables ---------------------------------------------
    def create_temp_table(self, identifier: str, source: Schema | DataFrame) -> Table:
        """A session-scoped in-memory table holding ``source``'s rows (replaces one of the same name)."""
        table = MemoryTable(identifier, _as_dataframe(source, "create_temp_table"))
        self._tables[identifier] = table
        return table

    def create_temp_view(self, identifier: str, view: DataFrame) -> Table:
        table = View(identifier, view)
        self._tables[identifier] = table
        return table

    # --- current catalog and namespace --------------------------------
    def current_catalog(self) -> Catalog | None:
        return self._catalogs.get(self._catalog) if self._catalog else None

    def current_namespace(self) -> Identifier | None:
        return self._namespace

    def set_catalog(self, identifier: str | None) -> None:
        if identifier is not None and identifier not in self._catalogs:
            raise ValueError(f"no catalog named '{identifier}'; attached: {sorted(self._catalogs)}")
        self._catalog = identifier
        self._namespace = None

    def set_namespace(self, identifier: Identifier | str | None) -> None:
        self._namespace = None if identifier is None else Identifier._of(identifier)

    def use(self, identifier: Identifier | str | None = None) -> None:
        """Makes ``catalog`` or ``catalog.namespace`` current (``None`` clears both)."""
        if identifier is None:
            self._catalog, self._namespace = None, None
            return
        ident = Identifier._of(identifier)
        if ident[0] in self._catalogs:
            self.set_catalog(ident[0])
            self._namespace = Identifier(*ident._parts[1:]) if len(ident) > 1 else None
        elif self.current_catalog() is not None and self.current_catalog().has_namespace(ident):
            self._namespace = ident
        else:
            raise ValueError(f"'{ident}' is neither an attached catalog nor a namespace of the current catalog")

    def _require_catalog(self) -> Catalog:
        catalog = self.current_catalog()
        if catalog is None:
            catalog = MemoryCatalog("default")
            self.attach_catalog(catalog)
        return catalog

    # --- catalogs ------------------------------------------------------
    def get_catalog(self, identifier: str) -> Catalog:
        if identifier not in self._catalogs:
            raise DaftCoreException(f"Catalog '{identifier}' not found; attached: {sorted(self._catalogs)}")
        return self._catalogs[identifier]

    def has_catalog(self, identifier: str) -> bool:
        return identifier in self._catalogs

    def list_catalogs(self, pattern: str | None = None) -> list[str]:
        return [c for c in self._catalogs if pattern is None or c.startswith(pattern)]

    # --- namespaces ----------------------------------------------------
    def create_namespace(self, identifier: Identifier | str) -> None:
        self._require_catalog().create_namespace(identifier)

    def create_namespace_if_not_exists(self, identifier: Identifier | str) -> None:
        self._require_catalog().create_namespace_if_not_exists(identifier)

    def drop_namespace(self, identifier: Identifier | str) -> None:
        self._require_catalog().drop_namespace(identifier)

    def has_namespace(self, identifier: Identifier | str) -> bool:
        catalog = self.current_catalog()
        return catalog is not None and catalog.has_namespace(identifier)

    def list_namespaces(self, pattern: str | None = None) -> list[Identifier]:
        catalog = self.current_catalog()
        return [] if catalog is None else catalog.list_namespaces(pattern)

    # --- tables --------------------------------------------------------
    def create_table(self, identifier: Identifier | str, source: Schema | DataFrame, **properties: Any) -> Table:
        return self._require_catalog().create_table(self._qualify(identifier), source, properties or None)

    def create_table_if_not_exists(
        self, identifier: Identifier | str, source: Schema | DataFrame, **properties: Any
    ) -> Table:
        return self._require_catalog().create_table_if_not_exists(self._qualify(identifier), source, properties or None)

    def drop_table(self, identifier: Identifier | str) -> None:
        name = str(Identifier._of(identifier))
        if name in self._tables:
            del self._tables[name]
            return
        self._require_catalog().drop_table(self._qualify(identifier))

    def _qualify(self, identifier: Identifier | str) -> Identifier:
        ident = Identifier._of(identifier)
        if self._namespace is not None and len(ident) == 1:
            return Identifier(*self._namespace._parts, *ident._parts)
        return ident

    def _resolve(self, identifier: Identifier | str) -> Table | None:
        ident = Identifier._of(identifier)
        if len(ident) == 1 and ident[0] in self._tables:
            return self._tables[ident[0]]
        catalog = self.current_catalog()
        if catalog is not None:
            for candidate in (self._qualify(ident), ident):
                if catalog.has_table(candidate):
                    return catalog.get_table(candidate)
        if len(ident) > 1 and ident[0] in self._catalogs:
            rest = Identifier(*ident._parts[1:])
            if self._catalogs[ident[0]].has_table(rest):
                return self._catalogs[ident[0]].get_table(rest)
        return None

    def get_table(self, identifier: Identifier | str) -> Table:
        table = self._resolve(identifier)
        if table is None:
            known = ", ".join(str(i) for i in self.list_tables()) or "none"
            raise DaftCoreException(f"Table '{identifier}' not found. Tables: {known}")
        return table

    def has_table(self, identifier: Identifier | str) -> bool:
        return self._resolve(identifier) is not None

    def list_tables(self, pattern: str | None = None) -> list[Identifier]:
        """Session tables by name, then each catalog's tables as ``catalog.table``."""
        out = [Identifier(n) for n in self._tables]
        for name, catalog in self._catalogs.items():
            out += [Identifier(name, *t._parts) for t in catalog.list_tables()]
        return [i for i in out if _matches(i, pattern)]

    def read_table(self, identifier: Identifier | str, **options: Any) -> DataFrame:
        return self.get_table(identifier).read(**options)

    def write_table(self, identifier: Identifier | str, df: DataFrame, mode: str = "append", **options: Any) -> None:
        self.get_table(identifier).write(df, mode, **options)

    # --- SQL -------------------------------------------------------------
    def _sql_tables(self) -> dict[str, DataFrame]:
        """Every name SQL may use, with its DataFrame: session tables, the
        current catalog's tables (relative names and namespace-qualified), and
        ``catalog.table`` for every attached catalog."""
        out: dict[str, DataFrame] = {}
        for name, catalog in self._catalogs.items():
            for ident in catalog.list_tables():
                parts = (name, *ident._parts) if len(ident) > 1 else (name, "default", *ident._parts)
                out[".".join(parts)] = catalog.get_table(ident).read()
                if name == self._catalog:
                    out[str(ident)] = out[".".join(parts)]
                    if self._namespace is not None and ident._parts[:-1] == self._namespace._parts:
                        out[ident[-1]] = out[".".join(parts)]
        for name, table in self._tables.items():
            out[name] = table.read()
        return out

    def sql(self, sql: str) -> DataFrame | None:
        """Runs ``sql`` against the session's tables: a query returns a lazy
        DataFrame; ``CREATE [TEMP] TABLE t AS ...`` and ``USE x`` change the
        session and return None."""
        return _run_sql(self, sql, {})


def _return_field(name: str, function: Any) -> pa.Field:
    """What ``function`` returns, as the field a SQL call of it produces."""
    fn = getattr(function, "fn", None) or getattr(function, "func", None) or function
    generator = bool(getattr(function, "is_generator", False)) and not getattr(function, "is_batch", False)
    dtype = infer_return_dtype(fn, getattr(function, "return_dtype", None), generator=generator)
    field = dtype._field(name)
    return field.with_type(pa.list_(field.type)) if generator else field


def _builder(function: Any) -> Any:
    """``(args, named) -> PyExpr``: a SQL call of ``function`` (positional
    arguments as expressions, named ones as the literals' Python values)."""

    def build(args: list[Any], named: list[tuple[str, Any]]) -> Any:
        kwargs = {}
        for key, value in named:
            array = value.literal_value()
            kwargs[key] = array[0].as_py() if array is not None else None
        return function(*[Expression(a) for a in args], **kwargs)._expr

    return build


def _run_sql(session: Session, text: str, frames: dict[str, DataFrame]) -> DataFrame | None:
    if not isinstance(text, str):
        raise TypeError(f"sql() expects a SQL string, got {type(text).__name__}")
    tables = session._sql_tables()
    tables.update(frames)
    kind, payload = _session().sql(
        text, [(name.split("."), df._plan) for name, df in tables.items()], session._sql_functions()
    )
    if kind == "query":
        return DataFrame(payload)
    if kind == "create_table":
        name, _temporary, plan = payload
        session.create_temp_table(name, DataFrame(plan))
        return None
    session.use(payload)
    return None


_CURRENT = Session()


def current_session() -> Session:
    """The session the module-level functions and ``ketch.sql`` use."""
    return _CURRENT


def set_session(session: Session) -> None:
    global _CURRENT
    if not isinstance(session, Session):
        raise TypeError(f"set_session expects a Session, got {type(session).__name__}")
    _CURRENT = session


def _forward(name: str):
    def fn(*args: Any, **kwargs: Any) -> Any:
        return getattr(_CURRENT, name)(*args, **kwargs)

    fn.__name__ = name
    fn.__doc__ = f"``current_session().{name}(...)``: see :meth:`Session.{name}`."
    return fn


FORWARDED = [
    "attach",
    "attach_catalog",
    "attach_table",
    "attach_view",
    "detach_catalog",
    "detach_table",
    "create_temp_table",
    "create_temp_view",
    "current_catalog",
    "current_namespace",
    "set_catalog",
    "set_namespace",
    "create_namespace",
    "create_namespace_if_not_exists",
    "drop_namespace",
    "has_namespace",
    "list_namespaces",
    "create_table",
    "create_table_if_not_exists",
    "drop_table",
    "get_catalog",
    "has_catalog",
    "list_catalogs",
    "get_table",
    "has_table",
    "list_tables",
    "read_table",
    "write_table",
    "attach_function",
    "detach_function",
    "get_function",
]

for _name in FORWARDED:
    globals()[_name] = _forward(_name)
