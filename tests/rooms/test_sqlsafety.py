import sqlite3
from contextlib import closing

import pytest

from nanodev.rooms.sqlsafety import (
    DdlError,
    create_table_sql,
    default_literal,
    is_identifier,
    quote_ident,
    read_only_authorizer,
    sanitize_identifier,
)


@pytest.mark.parametrize("name", ["a", "_x", "Customers_2", "order"])
def test_identifiers_ok(name):
    assert is_identifier(name)


@pytest.mark.parametrize("name", ["", "1a", "a-b", "a b", 'a"', None, 5, "a;drop"])
def test_identifiers_bad(name):
    assert not is_identifier(name)


def test_quote_ident_escapes():
    assert quote_ident('a"b') == '"a""b"'


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Name", "name"),
        ("First Name", "first_name"),
        ("__x__", "x"),
        ("1st", "_1st"),
        ("a--b", "a_b"),
        ("É", "_"),
    ],
)
def test_sanitize_identifier(raw, clean):
    assert sanitize_identifier(raw) == clean


@pytest.mark.parametrize(
    ("value", "sql"),
    [
        (5, "5"),
        (1.5, "1.5"),
        (True, "TRUE"),
        ("'it''s'", "'it''s'"),
        ("null", "NULL"),
        ("current_timestamp", "CURRENT_TIMESTAMP"),
        ("-3", "-3"),
    ],
)
def test_default_literals(value, sql):
    assert default_literal(value) == sql


@pytest.mark.parametrize(
    "value", ["1); DROP TABLE tasks; --", "'a' || (SELECT 1)", "x", "'unterminated", "(1)"]
)
def test_default_injection_rejected(value):
    with pytest.raises(DdlError):
        default_literal(value)


def test_create_table_sql_prepends_id_and_quotes():
    sql = create_table_sql("order", [{"name": "name", "type": "text", "notNull": True}])
    assert sql == (
        'CREATE TABLE IF NOT EXISTS "order" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, '
        '"name" TEXT NOT NULL)'
    )
    with closing(sqlite3.connect(":memory:")) as conn:
        conn.execute(sql)


def test_create_table_rejects_bad_columns():
    with pytest.raises(DdlError, match="Invalid column name"):
        create_table_sql("t", [{"name": "bad name"}])
    with pytest.raises(DdlError, match="Invalid column type: TIMESTAMP"):
        create_table_sql("t", [{"name": "at", "type": "TIMESTAMP"}])


def _ro_conn(request):
    conn = sqlite3.connect(":memory:")
    request.addfinalizer(conn.close)
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    conn.execute("INSERT INTO t (v) VALUES ('a')")
    conn.set_authorizer(read_only_authorizer)
    return conn


@pytest.mark.parametrize(
    "sql",
    [
        "DELETE FROM t",
        "WITH x AS (SELECT 1) DELETE FROM t",
        "INSERT INTO t (v) VALUES ('b')",
        "UPDATE t SET v = 'z'",
        "DROP TABLE t",
        "CREATE TABLE u (a)",
        "ATTACH DATABASE ':memory:' AS other",
        "PRAGMA user_version = 5",
        "BEGIN",
    ],
)
def test_authorizer_denies_writes(sql, request):
    conn = _ro_conn(request)
    with pytest.raises(sqlite3.DatabaseError):
        conn.execute(sql)
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (1,)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM t",
        "WITH x AS (SELECT v FROM t) SELECT * FROM x",
        "PRAGMA table_info(t)",
        "SELECT count(*) FROM t WHERE v LIKE '%a%'",
    ],
)
def test_authorizer_allows_reads(sql, request):
    assert _ro_conn(request).execute(sql).fetchall() is not None
