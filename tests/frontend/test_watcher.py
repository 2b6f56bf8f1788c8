"""Sorting a burst of file changes into reloads (pure)."""

from __future__ import annotations

from pathlib import Path

from watchfiles import Change

from nanodev.frontend.watcher import Watched, classify


def watched(tmp_path: Path) -> Watched:
    return Watched(
        static_root=tmp_path / "dist",
        config=tmp_path / "nanodev.toml",
        hooks=tmp_path / "devhooks.py",
        migrations=tmp_path / "migrations",
    )


def test_classify_sorts_every_kind(tmp_path: Path) -> None:
    w = watched(tmp_path)
    batch = classify(
        {
            (Change.modified, str(tmp_path / "dist" / "assets" / "app.css")),
            (Change.added, str(tmp_path / "dist" / "index.html")),
            (Change.modified, str(tmp_path / "nanodev.toml")),
            (Change.modified, str(tmp_path / "devhooks.py")),
            (Change.added, str(tmp_path / "migrations" / "0002_x.sql")),
            (Change.added, str(tmp_path / "migrations" / "README.md")),
            (Change.modified, str(tmp_path / "other.txt")),
        },
        w,
    )
    assert batch.static == ["/assets/app.css", "/index.html"]
    assert batch.config and batch.hooks
    assert batch.migrations == ["0002_x.sql"]
    assert not batch.css_only


def test_css_only_and_editor_noise(tmp_path: Path) -> None:
    w = watched(tmp_path)
    css = classify({(Change.modified, str(tmp_path / "dist" / "a.CSS"))}, w)
    assert css.css_only
    noise = classify(
        {
            (Change.modified, str(tmp_path / "dist" / ".index.html.swp")),
            (Change.modified, str(tmp_path / "dist" / "index.html~")),
            (Change.modified, str(tmp_path / "devhooks.pyc")),
        },
        w,
    )
    assert noise.empty
