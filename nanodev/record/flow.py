"""The facts one request's hops share: its flow id, when it started, which listener took it,
and what the inspector should say about it (cause, fix, the secrets to mask in its records).

Every hop reads it as `request[FLOW]`; it sits with the records so that a hop needs nothing but
the recording layer to report.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web


@dataclass(slots=True)
class FlowContext:
    """Per-request facts the hops share: the flow id and what the inspector should say."""

    flow: int
    started: float
    listener: str
    cause: str = ""
    fix: str = ""
    secrets: tuple[str, ...] = ()
    # What to record as the response body when the bytes sent are not readable as they are
    # (a relayed gzip or brotli body, recorded decoded), and the content coding they carried.
    shown_body: bytes | None = None
    encoding: str = ""


FLOW: web.RequestKey[FlowContext] = web.RequestKey("nanodev_flow", FlowContext)
