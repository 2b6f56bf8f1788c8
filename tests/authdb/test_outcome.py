"""The sentences about a migration outcome: each kind of collision, the ways out, counts."""

from __future__ import annotations

from pathlib import Path

from nanodev.authdb.migrations import MigrationRun, Problem
from nanodev.authdb.outcome import describe, explain, is_conflict, live_detail, summary
from nanodev.authdb.schema import Prepared


def test_each_collision_names_the_object() -> None:
    table = Problem("0002_k.sql", "OperationalError: table api_keys already exists", "")
    index = Problem("0003_i.sql", "OperationalError: index idx_x already exists", "")
    column = Problem(
        "0004_t.sql",
        "OperationalError: duplicate column name: tier",
        "-- plan\nALTER TABLE `user` ADD COLUMN tier TEXT NOT NULL DEFAULT 'free';",
    )
    other = Problem("0005_s.sql", 'OperationalError: near "CREAT": syntax error', "")
    assert describe(table) == "0002_k.sql creates table api_keys, which already exists"
    assert describe(index) == "0003_i.sql creates index idx_x, which already exists"
    assert describe(column) == "0004_t.sql adds column user.tier, which already exists"
    assert describe(other) == '0005_s.sql failed: OperationalError: near "CREAT": syntax error'
    assert [is_conflict(p) for p in (table, index, column, other)] == [True, True, True, False]
    lines = explain(MigrationRun(problems=[table, other, column]))
    assert lines[0].startswith("0002_k.sql was rolled back, nothing of it applied")
    assert "mark-applied 0002_k.sql 0004_t.sql`" in lines[-1]  # only the colliding files


def test_summary_and_live_detail() -> None:
    ok = Prepared(
        migrations_dir=Path("migrations"),
        run=MigrationRun(applied=["0001_a.sql"], skipped=["setup.sql"]),
        added=["api_keys.expires_at"],
        applied_total=1,
    )
    assert summary(ok) == [
        "1 applied, 0 pending (migrations)",
        "applied now: 0001_a.sql",
        "added for local use: api_keys.expires_at",
        "ignored setup.sql (expected NNNN_name.sql)",
    ]
    assert live_detail(ok) == (
        "applied 0001_a.sql; added for local use: api_keys.expires_at; "
        "ignored setup.sql (expected NNNN_name.sql)"
    )
    assert live_detail(Prepared(migrations_dir=Path("m"))) == "nothing pending"
