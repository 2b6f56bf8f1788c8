"""Every bad input of the user's own making ends in one line naming the file or value, what is
wrong and what to do, with exit code 1 or 2, no traceback, and the bytes on disk unchanged.

Each case runs the real `nanodev` command in a subprocess, on a state directory made broken on
purpose, and compares every file under the working directory before and after.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from nanodev.errors import UserError, unusable_directory

AUTH_HINT = (
    "  delete it with `nanodev reset --auth` (its data is lost), or restore it with "
    "`nanodev import` from an export"
)
STATE_HINT = "  pass --state-dir (or set NANODEV_STATE_DIR) to a directory you can write"
CORRUPT = {
    "random bytes": bytes(range(256)) * 16,
    "not a database": b"SQLite format 3\x00" + b"\x00" * 84 + b"garbage" * 100,
    "seven bytes of text": b"garbage",
}
AUTH_COMMANDS = {
    "up": ["up", "--port", "0", "--worker-port", "0"],
    "keys list": ["keys", "list"],
    "keys create": ["keys", "create", "--user", "ada@example.com"],
    "keys revoke": ["keys", "revoke", "nk_live_x"],
    "users create": ["users", "create", "ada@example.com"],
    "sessions create": ["sessions", "create", "--user", "ada@example.com"],
    "export": ["export", "out.zip"],
}


def files_under(root: Path, sidecars: bool = True) -> dict[str, bytes | None]:
    """Every path under `root` with its bytes (None for a directory); SQLite's `-wal`/`-shm`
    sidecars only with `sidecars`."""
    out: dict[str, bytes | None] = {}
    for path in sorted(root.rglob("*")):
        if not sidecars and path.name.endswith(("-wal", "-shm")):
            continue
        out[str(path.relative_to(root))] = path.read_bytes() if path.is_file() else None
    return out


def nanodev(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NANODEV_")}
    return subprocess.run(
        [sys.executable, "-m", "nanodev", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def expect_refusal(
    cwd: Path, args: list[str], lines: list[str], code: int, sidecars: bool = True
) -> None:
    before = files_under(cwd, sidecars)
    result = nanodev(cwd, *args)
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    assert result.stderr.splitlines()[-len(lines) :] == lines, result.stderr
    assert result.returncode == code, result.stderr
    assert files_under(cwd, sidecars) == before


@pytest.mark.parametrize("content", list(CORRUPT.values()), ids=list(CORRUPT))
@pytest.mark.parametrize("command", list(AUTH_COMMANDS.values()), ids=list(AUTH_COMMANDS))
def test_a_corrupt_auth_database(tmp_path: Path, command: list[str], content: bytes) -> None:
    (tmp_path / "state" / "d1").mkdir(parents=True)
    (tmp_path / "state" / "d1" / "AUTH_DB.sqlite").write_bytes(content)
    lines = [
        "Error: auth database state/d1/AUTH_DB.sqlite cannot be opened: file is not a database",
        AUTH_HINT,
    ]
    expect_refusal(tmp_path, [*command, "--state-dir", "state"], lines, 1)


@pytest.mark.parametrize("content", list(CORRUPT.values()), ids=list(CORRUPT))
def test_a_corrupt_room_file_stops_export(tmp_path: Path, content: bytes) -> None:
    assert nanodev(tmp_path, "users", "create", "a@b.c", "--state-dir", "state").returncode == 0
    (tmp_path / "state" / "rooms").mkdir(exist_ok=True)
    (tmp_path / "state" / "rooms" / "my-room-0a1b2c3d.sqlite").write_bytes(content)
    lines = [
        "Error: room file state/rooms/my-room-0a1b2c3d.sqlite cannot be opened: "
        "file is not a database",
        "  delete it with `nanodev reset --room my-room` (its data is lost), or restore it "
        "with `nanodev import` from an export",
    ]
    # Export reads the healthy auth database first, which makes SQLite create its WAL
    # sidecars; the databases themselves stay byte for byte.
    args = ["export", "out.zip", "--state-dir", "state"]
    expect_refusal(tmp_path, args, lines, 1, sidecars=False)


@pytest.fixture
def unwritable() -> Iterator[Callable[[Path], None]]:
    """Make a directory unwritable, even for root (the immutable attribute), and undo it."""
    made: list[Path] = []

    def make(path: Path) -> None:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "+i", str(path)], check=True)
        else:
            path.chmod(0o555)
        made.append(path)

    yield make
    for path in made:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(path)], check=True)
        else:
            path.chmod(0o755)


STATE_CASES = {
    "an existing state directory that cannot be written": (
        "state",
        "Error: cannot create the state directory state/d1: permission denied",
    ),
    "a state path whose parent is a file": (
        "afile/state",
        "Error: cannot create the state directory afile/state/d1: a part of that path is a "
        "file, not a directory",
    ),
    "a new state directory under a parent that cannot be written": (
        "parent/state",
        "Error: cannot create the state directory parent/state/d1: permission denied",
    ),
}


@pytest.mark.parametrize("command", [["keys", "list"], ["users", "create", "a@b.c"],
                                     ["up", "--port", "0", "--worker-port", "0"]],
                         ids=["keys list", "users create", "up"])  # fmt: skip
@pytest.mark.parametrize("case", list(STATE_CASES.values()), ids=list(STATE_CASES))
def test_a_state_directory_that_cannot_be_used(
    tmp_path: Path,
    unwritable: Callable[[Path], None],
    command: list[str],
    case: tuple[str, str],
) -> None:
    state, line = case
    if shutil.which("chattr") is None and os.geteuid() == 0:
        pytest.fail("chattr is needed to make a directory unwritable for root")
    (tmp_path / "afile").write_text("a file, not a directory")
    for directory in ("state", "parent"):
        (tmp_path / directory).mkdir()
        unwritable(tmp_path / directory)
    expect_refusal(tmp_path, [*command, "--state-dir", state], [line, STATE_HINT], 1)


FLAG_CASES = {
    "--frontend ftp://x": (
        ["--frontend", "ftp://x"],
        "",
        "Error: invalid settings: frontend_url: 'ftp://x' is not an http(s) URL such as "
        "http://127.0.0.1:5173",
        2,
    ),
    "--frontend with a path": (
        ["--frontend", "http://localhost:5173/app"],
        "",
        "Error: invalid settings: frontend_url: 'http://localhost:5173/app' must be an origin "
        "only (scheme://host:port), no path",
        2,
    ),
    "upstream in nanodev.toml": (
        [],
        'upstream = "ftp://x"\n',
        "Error: invalid settings: upstream: 'ftp://x' is not an http(s) URL such as "
        "http://127.0.0.1:5173",
        2,
    ),
    "--host that does not resolve": (
        ["--host", "no-such-host.invalid"],
        "",
        "nanodev: --host 'no-such-host.invalid' does not resolve to an address (Name or service "
        "not known): pass an address such as --host 127.0.0.1 or --host ::1, or a name in "
        "/etc/hosts",
        2,
    ),
}


@pytest.mark.parametrize("case", list(FLAG_CASES.values()), ids=list(FLAG_CASES))
def test_a_bad_flag_or_setting(tmp_path: Path, case: tuple[list[str], str, str, int]) -> None:
    flags, toml, line, code = case
    if toml:
        (tmp_path / "nanodev.toml").write_text(toml)
    nanodev(tmp_path, "users", "create", "a@b.c", "--state-dir", "state")
    args = ["up", "--port", "0", "--worker-port", "0", "--state-dir", "state", *flags]
    expect_refusal(tmp_path, args, [line], code)


def test_user_error_words() -> None:
    err = unusable_directory("x/state", NotADirectoryError(20, "Not a directory"))
    assert isinstance(err, UserError) and err.code == "state_dir_unusable"
    assert str(err) == (
        "cannot create the state directory x/state: a part of that path is a file, not a directory"
    )
