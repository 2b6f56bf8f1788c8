"""The doctor's report: summary, exit code, JSON shape and terminal lines."""

from __future__ import annotations

from nanodev.doctor.report import CheckResult, Report, Status, Verdict, render_text, skipped


def test_report_json_summary_and_exit_code() -> None:
    ok = CheckResult.of("health", Verdict(Status.PASS, "answers"), "200", 1.234)
    warn = CheckResult.of("x", Verdict(Status.WARN, "odd", "do y"), "401", 2)
    report = Report("http://127.0.0.1:3000", (ok, warn, skipped("z", "needs --room")))
    assert report.exit_code == 0
    data = report.to_json()
    assert data["checks"][0] == {
        "name": "health",
        "status": "pass",
        "cause": "answers",
        "fix": "",
        "observed": "200",
        "ms": 1.2,
    }
    assert data["summary"]["pass"] == 1 and data["summary"]["skip"] == 1
    assert data["summary"]["ok"] is True and data["summary"]["total"] == 3
    failed = Report("t", (CheckResult.of("y", Verdict(Status.FAIL, "bad", "fix it"), "", 0),))
    assert failed.exit_code == 1 and failed.summary()["ok"] is False


def test_render_text_shows_cause_and_fix_for_problems() -> None:
    fail = CheckResult.of("expired key", Verdict(Status.FAIL, "accepted", "refuse it"), "101", 3)
    lines = render_text(Report("t", (fail,)))
    assert lines[1].startswith("  FAIL  expired key  [101]")
    assert lines[2].strip() == "accepted" and lines[3].strip() == "fix: refuse it"
    assert lines[-1] == "0 passed, 1 failed, 0 warnings, 0 skipped"
