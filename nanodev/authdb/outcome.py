"""Pure sentences about the app's migrations: how many applied and pending, what nanodev added
for local use, and for a run that stopped, which file collides with which existing table,
column or index and the two ways out. Shared by the startup card, the live reload, the
inspector and `nanodev migrations apply`."""

from __future__ import annotations

import re

from nanodev.authdb.migrations import MigrationRun, Problem
from nanodev.authdb.schema import Prepared

RESET = "nanodev reset --auth"
MARK = "nanodev migrations mark-applied"


def describe(problem: Problem) -> str:
    """One file's failure as what it tried to create and what was there already."""
    error = problem.error.split(": ", 1)[-1]
    if m := re.search(r"table [`\"]?(\w+)[`\"]? already exists", error):
        return f"{problem.name} creates table {m.group(1)}, which already exists"
    if m := re.search(r"index [`\"]?(\w+)[`\"]? already exists", error):
        return f"{problem.name} creates index {m.group(1)}, which already exists"
    if m := re.search(r"duplicate column name: [`\"]?(\w+)", error):
        column = m.group(1)
        table = _altered_table(problem.sql, column)
        where = f"{table}.{column}" if table else column
        return f"{problem.name} adds column {where}, which already exists"
    return f"{problem.name} failed: {problem.error}"


def is_conflict(problem: Problem) -> bool:
    return bool(re.search(r"already exists|duplicate column name", problem.error))


def _altered_table(sql: str, column: str) -> str:
    pattern = (
        r"ALTER\s+TABLE\s+[`\"\[]?(\w+)[`\"\]]?\s+ADD\s+(?:COLUMN\s+)?[`\"\[]?"
        + re.escape(column)
        + r"\b"
    )
    m = re.search(pattern, sql, re.IGNORECASE)
    return m.group(1) if m else ""


def ways_out(conflicting: list[str]) -> str:
    return (
        f"two ways out: `{RESET}` starts the auth database again from your migrations "
        "(deletes its users, sessions and keys), or, once you have checked that the existing "
        f"tables already hold what these files create, `{MARK} {' '.join(conflicting)}` "
        "records them as applied without running them"
    )


def explain(run: MigrationRun, *, from_builtin: bool = False) -> list[str]:
    """The lines to print for a run that stopped; empty when it did not."""
    if run.ok:
        return []
    first = run.problems[0]
    lines = [f"{first.name} was rolled back, nothing of it applied; the files after it did not run"]
    conflicting = [p.name for p in run.problems if is_conflict(p)]
    if from_builtin:
        lines.append(
            "this auth database was created by nanodev's built-in schema before the app's "
            "migrations were used, so they collide with tables it already has"
        )
    elif conflicting:
        lines.append(
            "the auth database already has what these files create: made before they ran (by "
            "an older nanodev's built-in schema, by hand, or by another file)"
        )
    lines += [describe(p) for p in run.problems]
    if conflicting:
        lines.append(ways_out(conflicting))
    else:
        lines.append(f"fix {first.name}; nanodev applies it when the file is saved")
    return lines


def counts(prepared: Prepared) -> str:
    return f"{prepared.applied_total} applied, {prepared.pending_total} pending"


def summary(prepared: Prepared) -> list[str]:
    """What happened to the schema on this start: the first line, then details."""
    where = prepared.migrations_dir
    head = f"{counts(prepared)} ({where})"
    if not prepared.run.ok:
        return [f"{head}: FAILED", *explain(prepared.run, from_builtin=prepared.from_builtin)]
    lines = [head]
    if prepared.run.applied:
        lines.append(f"applied now: {', '.join(prepared.run.applied)}")
    if prepared.created:
        lines.append(f"Better Auth's own tables made first: {', '.join(prepared.created)}")
    if prepared.added:
        lines.append(f"added for local use: {', '.join(prepared.added)}")
    if prepared.run.skipped:
        lines.append(f"ignored {', '.join(prepared.run.skipped)} (expected NNNN_name.sql)")
    return lines


def live_detail(prepared: Prepared) -> str:
    """One line for a migrations folder that changed while nanodev runs."""
    run = prepared.run
    parts = [f"applied {', '.join(run.applied)}"] if run.applied else []
    if run.ok:
        parts = parts or ["nothing pending"]
        if prepared.added:
            parts.append(f"added for local use: {', '.join(prepared.added)}")
    else:
        parts += explain(run, from_builtin=prepared.from_builtin)
    if run.skipped:
        parts.append(f"ignored {', '.join(run.skipped)} (expected NNNN_name.sql)")
    return "; ".join(parts)
