"""Relayed bodies decoded for the inspector: gzip, deflate (zlib and raw), br, stacked codings,
bombs cut at the limit, and garbage kept as sent with the reason."""

from __future__ import annotations

import gzip
import zlib

import brotli

from nanodev.upstream.encoding import codings, decode_body

TEXT = b"Missing room_id query parameter"


def test_each_coding_decodes_to_the_original() -> None:
    raw_deflate = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    cases = {
        "gzip": gzip.compress(TEXT),
        "x-gzip": gzip.compress(TEXT),
        "deflate": zlib.compress(TEXT),
        "br": brotli.compress(TEXT),
    }
    for coding, body in cases.items():
        decoded = decode_body(body, coding.upper(), 1 << 20)
        assert decoded.body == TEXT and decoded.encoding == coding and not decoded.problem
    raw = raw_deflate.compress(TEXT) + raw_deflate.flush()
    assert decode_body(raw, "deflate", 1 << 20).body == TEXT


def test_stacked_codings_are_undone_last_first() -> None:
    body = brotli.compress(gzip.compress(TEXT))
    assert codings("gzip, br") == ["gzip", "br"]
    decoded = decode_body(body, "gzip, br", 1 << 20)
    assert decoded.body == TEXT and decoded.encoding == "gzip, br"


def test_a_bomb_is_cut_at_the_limit() -> None:
    for coding, body in (
        ("gzip", gzip.compress(b"x" * 5_000_000)),
        ("br", brotli.compress(b"x" * 5_000_000)),
    ):
        decoded = decode_body(body, coding, 1000)
        assert len(decoded.body) <= 1000 and decoded.cut


def test_garbage_and_unknown_codings_are_kept_as_sent_with_the_reason() -> None:
    bad = decode_body(b"not gzip", "gzip", 1000)
    assert bad.body == b"not gzip" and "does not decode" in bad.problem
    odd = decode_body(b"abc", "zstd", 1000)
    assert odd.body == b"abc" and "unknown content coding 'zstd'" in odd.problem
    assert decode_body(b"abc", "identity", 1000).body == b"abc"
