"""Secret values nanodev knows of, masked wherever they appear in a record.

Redaction by shape (`redaction.py`) catches what looks like a credential where credentials go.
A session token typed into SQL or a note looks like any other word, so every credential a flow
carried and every key and session in the auth database is remembered here, and the recorder
replaces each one by its fingerprint in every text field of every event before it is stored,
published or printed.
"""

from __future__ import annotations

import dataclasses
import re
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

from nanodev.record.redaction import fingerprint

# Better Auth's session tokens are 32 letters and digits; API keys are `nk_…`. Only runs this
# long are looked up, so ordinary words cost one regex pass and no lookups.
_CANDIDATE = re.compile(r"[A-Za-z0-9_\-]{16,}")
MIN_LENGTH = 16
LIMIT = 100_000


class KnownSecrets:
    """A bounded set of secret values (oldest forgotten first) and the masking over text."""

    __slots__ = ("_values", "limit")

    def __init__(self, limit: int = LIMIT) -> None:
        self.limit = limit
        self._values: OrderedDict[str, None] = OrderedDict()

    def __bool__(self) -> bool:
        return bool(self._values)

    def __contains__(self, value: object) -> bool:
        return value in self._values

    def add(self, values: Iterable[str]) -> None:
        for value in values:
            if len(value) >= MIN_LENGTH and _CANDIDATE.fullmatch(value):
                self._values[value] = None
                self._values.move_to_end(value)
        while len(self._values) > self.limit:
            self._values.popitem(last=False)

    def mask(self, text: str) -> str:
        """`text` with every known secret replaced by its fingerprint (the same object when
        there is none, so callers can tell cheaply)."""
        if len(text) < MIN_LENGTH:
            return text
        values = self._values
        found = [m for m in _CANDIDATE.findall(text) if m in values]
        for secret in found:
            text = text.replace(secret, fingerprint(secret))
        return text

    def scrub(self, event: Any) -> None:
        """Mask every text field of a just-built record in place (before it is stored)."""
        for spec in dataclasses.fields(event):
            value = getattr(event, spec.name)
            masked = self._masked(value)
            if masked is not value:
                setattr(event, spec.name, masked)

    def _masked(self, value: Any) -> Any:
        if isinstance(value, str):
            masked = self.mask(value)
            return value if masked == value else masked
        if isinstance(value, dict):
            out = {k: self._masked(v) for k, v in value.items()}
            return value if all(out[k] is v for k, v in value.items()) else out
        if isinstance(value, tuple) and value and dataclasses.is_dataclass(value[0]):
            steps = tuple(self._masked_record(v) for v in value)
            return value if all(a is b for a, b in zip(steps, value, strict=True)) else steps
        return value

    def _masked_record(self, record: Any) -> Any:
        changes = {}
        for spec in dataclasses.fields(record):
            value = getattr(record, spec.name)
            if isinstance(value, str) and (masked := self.mask(value)) != value:
                changes[spec.name] = masked
        return dataclasses.replace(record, **changes) if changes else record
