"""Pure SQL safety rules (reference §3.11, with the [REC] fixes): identifiers, quoting,
`createTable` DDL with literal-only defaults, and the read-only authorizer.

Read-only is enforced by SQLite itself (an authorizer on a `query_only` connection), not by
looking at how the SQL starts, so `WITH … DELETE` and `SELECT 1; DROP …` cannot write.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from typing import Any

IDENT_RE = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
VALID_TYPES = ("TEXT", "INTEGER", "REAL", "BLOB", "NUMERIC", "BOOLEAN", "DATE", "DATETIME")
_DEFAULT_KEYWORDS = frozenset(
    {"NULL", "CURRENT_TIMESTAMP", "CURRENT_DATE", "CURRENT_TIME", "TRUE", "FALSE"}
)
_NUMBER_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_STRING_RE = re.compile(r"^'(?:[^']|'')*'$")

MSG_CREATE_ARGS = "createTable requires tableName and columns array"
MSG_BAD_TABLE = (
    "Invalid table name. Use only letters, numbers, and underscores. "
    "Must start with a letter or underscore."
)
MSG_RESERVED = (
    "Cannot create tables with names starting with underscore (reserved for system tables)"
)


def is_identifier(name: Any) -> bool:
    return isinstance(name, str) and bool(IDENT_RE.match(name))


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def is_reserved(name: str) -> bool:
    return name.startswith("_") or name.lower().startswith("sqlite_")


def sanitize_identifier(key: str) -> str:
    """batchInsert's key normalisation: lowercase, non-[a-z0-9_] → _, trim _, prefix, collapse."""
    out = re.sub(r"[^a-z0-9_]", "_", str(key).lower()).strip("_")
    if not out or not (out[0].isalpha() or out[0] == "_"):
        out = "_" + out
    return re.sub(r"_+", "_", out)


@dataclass(frozen=True, slots=True)
class DdlError(Exception):
    message: str


def default_literal(value: Any) -> str:
    """A column default as SQL, accepted only when it is a literal (no DDL injection)."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(value)
    if value is None:
        return "NULL"
    text = str(value).strip()
    if text.upper() in _DEFAULT_KEYWORDS:
        return text.upper()
    if _NUMBER_RE.match(text) or _STRING_RE.match(text):
        return text
    raise DdlError(
        f"Invalid default value: {str(value)[:60]}. Use a number, a quoted string "
        "('text'), NULL, CURRENT_TIMESTAMP, TRUE or FALSE"
    )


def column_sql(col: Any) -> str:
    if not isinstance(col, dict):
        raise DdlError("Invalid column definition: each column must be an object")
    name = col.get("name")
    if not is_identifier(name):
        raise DdlError(f"Invalid column name: {name}")
    col_type = col.get("type") or "TEXT"
    if not isinstance(col_type, str) or col_type.upper() not in VALID_TYPES:
        raise DdlError(f"Invalid column type: {col_type}. Valid types: {', '.join(VALID_TYPES)}")
    parts = [quote_ident(str(name)), col_type.upper()]
    if col.get("primaryKey"):
        parts.append("PRIMARY KEY")
    if col.get("notNull"):
        parts.append("NOT NULL")
    if col.get("unique"):
        parts.append("UNIQUE")
    if "default" in col and col["default"] is not None and col["default"] != "":
        parts.append("DEFAULT " + default_literal(col["default"]))
    return " ".join(parts)


def create_table_sql(table: str, columns: list[Any]) -> str:
    """The DDL for `createTable`; raises DdlError with the column problem."""
    defs = [column_sql(c) for c in columns]
    if not any(isinstance(c, dict) and c.get("name") == "id" for c in columns):
        defs.insert(0, '"id" INTEGER PRIMARY KEY AUTOINCREMENT')
    return f"CREATE TABLE IF NOT EXISTS {quote_ident(table)} ({', '.join(defs)})"


_READ_ACTIONS = frozenset(
    {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_RECURSIVE}
)


def read_only_authorizer(action: int, arg1: str | None, arg2: str | None, *_: Any) -> int:
    """Allow reads only. PRAGMAs that only read (table_info and friends) stay allowed."""
    if action in _READ_ACTIONS:
        return sqlite3.SQLITE_OK
    if action == sqlite3.SQLITE_PRAGMA and arg1 in _READ_PRAGMAS:
        return sqlite3.SQLITE_OK
    return sqlite3.SQLITE_DENY


_READ_PRAGMAS = frozenset(
    {"table_info", "table_xinfo", "index_list", "index_info", "foreign_key_list", "table_list"}
)
