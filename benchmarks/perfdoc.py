"""Keep docs/performance.md's sections current: each benchmark owns one marked section."""

from __future__ import annotations

from pathlib import Path

HEADER = (
    "# nanodev performance\n\nFigures are ratios against a baseline measured in the same run.\n"
)


def update_section(doc: Path, name: str, body: str) -> None:
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    text = doc.read_text() if doc.exists() else HEADER
    block = f"{begin}\n{body.strip()}\n{end}"
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        text = head + block + rest.split(end, 1)[1]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    doc.write_text(text)
