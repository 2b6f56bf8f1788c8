"""The doctor's results: one line per check (status, cause, fix, what it saw, how long it took),
the summary, the exit code, and the two renderings (terminal lines and `--json`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    WARN = "warn"
    SKIP = "skip"


@dataclass(frozen=True, slots=True)
class Verdict:
    """A pure decision: what the check concludes from what it observed."""

    status: Status
    cause: str
    fix: str = ""


@dataclass(frozen=True, slots=True)
class CheckResult:
    name: str
    status: Status
    cause: str
    fix: str
    observed: str  # "101 + reset", "400 Missing room_id…", "close 1000", "" when nothing ran
    ms: float

    @classmethod
    def of(cls, name: str, verdict: Verdict, observed: str, ms: float) -> CheckResult:
        return cls(name, verdict.status, verdict.cause, verdict.fix, observed, round(ms, 1))

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status.value,
            "cause": self.cause,
            "fix": self.fix,
            "observed": self.observed,
            "ms": self.ms,
        }


@dataclass(frozen=True, slots=True)
class Report:
    target: str
    checks: tuple[CheckResult, ...]

    @property
    def counts(self) -> dict[str, int]:
        seen = Counter(c.status.value for c in self.checks)
        return {s.value: seen.get(s.value, 0) for s in Status}

    @property
    def exit_code(self) -> int:
        return 1 if any(c.status is Status.FAIL for c in self.checks) else 0

    def summary(self) -> dict[str, Any]:
        return {
            "target": self.target,
            **self.counts,
            "total": len(self.checks),
            "ok": self.exit_code == 0,
            "ms": round(sum(c.ms for c in self.checks), 1),
        }

    def to_json(self) -> dict[str, Any]:
        return {"checks": [c.to_json() for c in self.checks], "summary": self.summary()}


LABELS = {Status.PASS: "PASS", Status.FAIL: "FAIL", Status.WARN: "WARN", Status.SKIP: "SKIP"}


def render_text(report: Report) -> list[str]:
    """Terminal lines: `PASS  room_id empty  400 …  3 ms`, then cause and fix indented."""
    width = max((len(c.name) for c in report.checks), default=10)
    lines = [f"nanodev doctor: {report.target}"]
    for check in report.checks:
        observed = f"  [{check.observed}]" if check.observed else ""
        lines.append(
            f"  {LABELS[check.status]}  {check.name:<{width}}{observed}  {check.ms:.0f} ms"
        )
        if check.status is not Status.PASS or check.cause:
            lines.append(f"        {check.cause}")
        if check.fix and check.status is not Status.PASS:
            lines.append(f"        fix: {check.fix}")
    counts = report.counts
    lines.append(
        f"{counts['pass']} passed, {counts['fail']} failed, {counts['warn']} warnings, "
        f"{counts['skip']} skipped"
    )
    return lines


def skipped(name: str, reason: str, fix: str = "") -> CheckResult:
    return CheckResult(name, Status.SKIP, reason, fix, "", 0.0)


def names(results: Sequence[CheckResult]) -> list[str]:
    return [r.name for r in results]
