"""What `nanodev up` finds in the working directory: ./dist, wrangler.toml's bucket, migrations."""

from __future__ import annotations

import urllib.request
from collections.abc import Callable
from pathlib import Path

from nanodev.state.discovery import default_static_dir, discover_defaults
from tests.conftest import Proc


def test_dist_wins_then_wrangler_bucket(tmp_path: Path) -> None:
    assert default_static_dir(tmp_path) is None
    (tmp_path / "public").mkdir()
    (tmp_path / "wrangler.toml").write_text('name = "app"\n[site]\nbucket = "./public"\n')
    assert default_static_dir(tmp_path) == tmp_path / "./public"
    (tmp_path / "dist").mkdir()
    assert default_static_dir(tmp_path) == tmp_path / "dist"


def test_bad_or_missing_bucket_is_ignored(tmp_path: Path) -> None:
    (tmp_path / "wrangler.toml").write_text("[site]\nbucket = './nope'\n")
    assert default_static_dir(tmp_path) is None
    (tmp_path / "wrangler.toml").write_text("site = 'not a table'\n")
    assert default_static_dir(tmp_path) is None
    (tmp_path / "wrangler.toml").write_text("[[broken toml")
    assert default_static_dir(tmp_path) is None


def test_flags_and_frontend_win(tmp_path: Path) -> None:
    (tmp_path / "dist").mkdir()
    (tmp_path / "migrations").mkdir()
    assert discover_defaults({}, tmp_path) == {
        "static_dir": tmp_path / "dist",
        "migrations_dir": tmp_path / "migrations",
    }
    assert "static_dir" not in discover_defaults({"frontend_url": "http://x:1"}, tmp_path)
    assert discover_defaults({"static_dir": Path("b"), "migrations_dir": Path("m")}, tmp_path) == {}


def test_nanodev_up_serves_dist_from_the_working_directory(
    nanodev_proc: Callable[..., Proc], tmp_path: Path
) -> None:
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "index.html").write_text("<html><body>BUILT-APP</body></html>")
    proc = nanodev_proc()
    with urllib.request.urlopen(proc.page_url + "/deep/spa/route", timeout=5) as res:
        body = res.read().decode()
    assert "BUILT-APP" in body and "/__nanodev/reload/client.js" in body
