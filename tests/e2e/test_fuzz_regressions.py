"""What the S7 fuzzing found, pinned: integers beyond SQLite's 64 bits in RPC payloads, the
traceback aiohttp logs for every request its parser refuses, and absolute-form targets naming
another host."""

from __future__ import annotations

import asyncio
import logging
import socket

import pytest
from aiohttp.http_exceptions import BadHttpMessage

from nanodev.jsvalues import positive_int
from nanodev.rooms.methods.tasks import page_args
from nanodev.rooms.store import json_value
from nanodev.serve import SERVER_LOG, BadRequestsInOneLine
from tests.conftest import Nano, rpc

BIG = 2**70


def test_big_integers_bind_as_javascript_would_parse_them() -> None:
    assert json_value(BIG) == float(BIG)
    assert json_value(-(2**63) - 1) == float(-(2**63) - 1)
    assert json_value(2**63 - 1) == 2**63 - 1 and isinstance(json_value(2**63 - 1), int)
    assert json_value(True) is True
    assert positive_int(2**63) is None and positive_int(2**63 - 1) == 2**63 - 1
    assert positive_int(1e300) is None
    assert page_args({"offset": BIG}) == (100, 2**63 - 1)
    assert page_args({"offset": "99999999999999999999999"}) == (100, 2**63 - 1)


@pytest.mark.parametrize(
    ("method", "payload"),
    [
        ("batchInsert", {"table": "tasks", "rows": [{"title": BIG, "status": -BIG}]}),
        ("updateRow", {"table": "tasks", "id": BIG, "field": "title", "value": 1}),
        ("updateRow", {"table": "tasks", "id": 1, "field": "title", "value": BIG}),
        ("completeTask", {"id": BIG}),
        ("deleteTask", {"id": 2**63}),
        ("listTasks", {"offset": BIG}),
    ],
)
async def test_big_integers_get_an_answer_not_an_internal_error(
    nano: Nano, method: str, payload: dict[str, object]
) -> None:
    ws = await nano.connect("big-ints")
    await rpc(ws, "createTask", {"title": "first"}, "seed")
    reply, _ = await rpc(ws, method, payload)
    assert reply.get("code") != "INTERNAL_ERROR", reply
    assert reply["type"] in ("mutation_success", "mutation_error", "query_result"), reply


def test_a_refused_request_is_one_log_line() -> None:
    try:
        raise BadHttpMessage("Transfer-Encoding can't be present with Content-Length:\n  x")
    except BadHttpMessage as exc:
        record = SERVER_LOG.makeRecord(
            SERVER_LOG.name, logging.ERROR, __file__, 1, "Error handling request from %s",
            ("127.0.0.1",), (type(exc), exc, exc.__traceback__),
        )  # fmt: skip
    assert BadRequestsInOneLine().filter(record)
    assert record.exc_info is None
    assert record.getMessage() == (
        "Error handling request from 127.0.0.1: refused with 400 "
        "(Transfer-Encoding can't be present with Content-Length: x)"
    )
    other = SERVER_LOG.makeRecord(
        SERVER_LOG.name, logging.ERROR, __file__, 1, "boom", (), (ValueError, ValueError(), None)
    )
    assert BadRequestsInOneLine().filter(other) and other.exc_info is not None


def raw_get(port: int, target: str) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(
            f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode()
        )
        out = b""
        while chunk := sock.recv(65536):
            out += chunk
        return out


async def test_absolute_form_target_naming_another_host_is_refused(nano: Nano) -> None:
    port = nano.server.port
    foreign = await asyncio.to_thread(raw_get, port, "http://evil.example/health")
    assert foreign.startswith(b"HTTP/1.1 403"), foreign[:200]
    assert b"evil.example" in foreign
    loopback = await asyncio.to_thread(raw_get, port, f"http://127.0.0.1:{port}/health")
    assert loopback.startswith(b"HTTP/1.1 200"), loopback[:200]
