"""The wheel ships what a user needs outside the repository: templates, the demo, the reload
client. Built and installed into a scratch directory, then used from there."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.timeout(300)
def test_wheel_ships_templates_and_demo(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
    )
    wheel = next(tmp_path.glob("nanodev-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for template in (ROOT / "templates").iterdir():
        assert f"nanodev/templates/{template.name}" in names
    assert any(n.startswith("nanodev/frontend/demo/") for n in names)
    assert "nanodev/frontend/reload_client.js" in names
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    probe = (
        "import nanodev, nanodev.templating as t; "
        "print(nanodev.__file__); print(t.templates_dir()); "
        "print(t.render('frontend_error.html', origin='http://127.0.0.1:5173', path='/', "
        "problem='refused', status=502)[:15])"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe],
        check=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(target)},
    ).stdout.splitlines()
    assert out[0].startswith(str(target))
    assert out[1] == str(target / "nanodev" / "templates")
    assert out[2].lower().startswith("<!doctype html")
