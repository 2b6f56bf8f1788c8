"""Relayed bodies as the inspector stores them: decoded from the upstream's Content-Encoding.

The relay passes the upstream's bytes to the client unchanged (the client asked for that
encoding itself), but a gzip or brotli body is unreadable in the inspector, so the recorded
copy is decoded here. Decoding is bounded: a small compressed body cannot grow past `limit`
bytes in memory (a decompression bomb is cut, and says so).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import brotli

KNOWN = ("gzip", "x-gzip", "deflate", "br", "identity")


@dataclass(frozen=True, slots=True)
class Decoded:
    body: bytes
    encoding: str  # what the upstream sent ("" = none), noted beside the stored body
    problem: str = ""  # why the body could not be decoded ("" when it was)
    cut: bool = False  # decoded output reached the limit


def codings(header: str | None) -> list[str]:
    """`Content-Encoding: gzip, br` → ['gzip', 'br'] (applied in that order)."""
    return [c.strip().lower() for c in (header or "").split(",") if c.strip()]


def decode_body(raw: bytes, header: str | None, limit: int) -> Decoded:
    """The body with every listed coding undone, last applied first."""
    applied = codings(header)
    encoding = ", ".join(applied)
    body = raw
    cut = False
    for coding in reversed(applied):
        if coding not in KNOWN:
            return Decoded(raw, encoding, f"unknown content coding {coding!r}: stored as sent")
        try:
            body, more = _undo(coding, body, limit)
        except (zlib.error, brotli.error) as exc:
            return Decoded(raw, encoding, f"the {coding} body does not decode ({exc})")
        cut = cut or more
    return Decoded(body, encoding, cut=cut)


def _undo(coding: str, data: bytes, limit: int) -> tuple[bytes, bool]:
    if coding in ("gzip", "x-gzip"):
        return _inflate(zlib.decompressobj(16 + zlib.MAX_WBITS), data, limit)
    if coding == "deflate":
        # RFC 9110 says zlib-wrapped; some servers send raw deflate, as browsers tolerate.
        try:
            return _inflate(zlib.decompressobj(), data, limit)
        except zlib.error:
            return _inflate(zlib.decompressobj(-zlib.MAX_WBITS), data, limit)
    if coding == "br":
        decoder = brotli.Decompressor()
        # brotli >= 1.2 bounds the output; brotli-stubs 1.2.1 does not know the argument yet.
        out = decoder.process(data, output_buffer_limit=limit)  # type: ignore[call-arg]
        return out[:limit], len(out) > limit or not decoder.is_finished()
    return data, False


def _inflate(decoder: zlib._Decompress, data: bytes, limit: int) -> tuple[bytes, bool]:
    out = decoder.decompress(data, limit)
    return out, bool(decoder.unconsumed_tail)
