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
