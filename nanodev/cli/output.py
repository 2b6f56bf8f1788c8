"""How every command speaks: one JSON document (or one per line) under --json, and errors as
`{"error": …, "hint": …, "code": …}` on stdout with a non-zero exit, never a traceback.

The schemas of what each command prints are in docs/cli-json.md (checked by
tests/cli/test_contract.py). Times are milliseconds since the epoch, as the app's D1 columns
store them, each with an ISO 8601 string beside it (`expires_at` and `expires_at_iso`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import json
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, NoReturn

import click

from nanodev.errors import UserError

USAGE_EXIT = 2


class CliError(click.ClickException):
    """A refused command: what is wrong, what to do, and a stable code for scripts."""

    def __init__(self, message: str, hint: str = "", code: str = "error") -> None:
        super().__init__(message)
        self.hint = hint
        self.code = code

    def format_message(self) -> str:
        return f"{self.message}\n  {self.hint}" if self.hint else self.message


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """nanodev's own failures (`UserError`) end as a `CliError`: one line and its hint."""
    try:
        yield
    except UserError as err:
        raise CliError(err.message, err.hint, err.code) from None


def json_requested(argv: Sequence[str]) -> bool:
    args = list(argv[: argv.index("--")] if "--" in argv else argv)
    if "--json" in args or "--log-format=json" in args:
        return True
    return any(a == "--log-format" and b == "json" for a, b in itertools.pairwise(args))


def run_json_mode(call: Callable[[], Any]) -> NoReturn:
    """Run the command with click's error handling off and print any failure as JSON."""
    try:
        result = call()
    except click.Abort:
        fail("aborted", "nothing was changed; pass --yes to skip the question", "aborted", 1)
    except click.ClickException as exc:
        fail(*describe(exc), exc.exit_code)
    except UserError as err:
        fail(err.message, err.hint, err.code, 1)
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as exc:
        hint = "this is a nanodev bug: run the command without --json to see the traceback"
        fail(f"unexpected {type(exc).__name__}: {exc}", hint, "internal", 1)
    sys.exit(result if isinstance(result, int) else 0)


def describe(exc: click.ClickException) -> tuple[str, str, str]:
    """(error, hint, code) for any click failure."""
    if isinstance(exc, CliError):
        return exc.message, exc.hint, exc.code
    if isinstance(exc, click.UsageError):
        where = exc.ctx.command_path if exc.ctx is not None else "nanodev"
        code = "bad_parameter" if isinstance(exc, click.BadParameter) else "usage"
        return exc.format_message(), f"see {where} --help", code
    return exc.format_message(), "", "error"


def fail(error: str, hint: str, code: str, exit_code: int) -> NoReturn:
    emit({"error": error, "hint": hint, "code": code})
    sys.exit(exit_code or 1)


def emit(document: Any) -> None:
    """One JSON document on one line of stdout."""
    click.echo(json.dumps(document, default=str))


def iso(ms: int | float | None) -> str | None:
    """Milliseconds since the epoch as ISO 8601 UTC: 2026-01-02T03:04:05.678Z."""
    if ms is None:
        return None
    ms = int(ms)
    stamp = dt.datetime.fromtimestamp(ms / 1000, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.")
    return f"{stamp}{ms % 1000:03d}Z"


def with_iso(row: Mapping[str, Any]) -> dict[str, Any]:
    """A row with an `…_iso` string after each `…_at` time (milliseconds since the epoch)."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        out[key] = value
        if key.endswith("_at"):
            out[f"{key}_iso"] = iso(value)
    return out


def scope_list(value: str | Sequence[str] | None) -> list[str]:
    """Scopes as a list, whether stored as JSON (`["read","write"]`, as the Worker writes
    them), typed as "read,write" or already split."""
    if value is None:
        return []
    if isinstance(value, str) and value.startswith("["):
        with contextlib.suppress(ValueError):
            value = [str(v) for v in json.loads(value)]
    parts = value.split(",") if isinstance(value, str) else list(value)
    return [p.strip() for p in parts if p.strip()]
