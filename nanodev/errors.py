"""nanodev's own failures, told the way it tells a user why a socket failed: what is wrong
(naming the file, flag or value), and what to do about it.

Anything a user can cause — a corrupt file, a bad flag, a state directory that cannot be
written — is raised as a `UserError` where it is found; the CLI prints it as one line and a hint
(or as JSON under `--json`) with a non-zero exit code, never as a traceback.
"""

from __future__ import annotations


class UserError(Exception):
    """A failure the user can fix: `message` says what is wrong, `hint` what to do, `code` is
    a stable identifier for scripts (`--json`)."""

    def __init__(self, message: str, hint: str = "", code: str = "error") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.code = code

    def __str__(self) -> str:
        return self.message


def unreadable_database(what: str, path: object, exc: Exception, reset: str) -> UserError:
    """A SQLite file that cannot be opened (not a database, truncated, unreadable). nanodev
    never overwrites it: the two ways out are to delete it or to restore it from an export."""
    return UserError(
        f"{what} {path} cannot be opened: {exc}",
        f"delete it with `nanodev {reset}` (its data is lost), or restore it with "
        "`nanodev import` from an export",
        "database_unreadable",
    )


def unusable_directory(path: object, exc: OSError) -> UserError:
    """A state directory that cannot be created or written, in words."""
    if isinstance(exc, NotADirectoryError | FileExistsError):
        why = "a part of that path is a file, not a directory"
    elif isinstance(exc, PermissionError):
        why = "permission denied"
    else:
        why = exc.strerror or str(exc)
    return UserError(
        f"cannot create the state directory {path}: {why}",
        "pass --state-dir (or set NANODEV_STATE_DIR) to a directory you can write",
        "state_dir_unusable",
    )


def missing_table(exc: BaseException) -> UserError | None:
    """A table nanodev needs that is not there: the app's migrations create it and one of them
    failed at start (the startup card said FAILED). The user's to fix, not nanodev's bug."""
    text = str(exc)
    if type(exc).__name__ != "OperationalError" or not text.startswith("no such table"):
        return None
    return UserError(
        f"a table nanodev needs is missing ({text}): the migration that creates it has not applied",
        "nanodev migrations list names the pending and failed files; fix the file (applied when "
        "saved) or run nanodev migrations apply, or nanodev reset --auth for the built-in schema",
        code="missing_table",
    )
