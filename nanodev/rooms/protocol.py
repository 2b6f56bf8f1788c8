"""The room's wire protocol: client frames as a pydantic discriminated union on `action`, and
the error frames a bad frame gets. Server frames are plain dicts built by the handlers and
encoded once here.

Unknown actions, malformed JSON, binary frames and bad field types all get
`{"type":"error","code":…,"error":…}` and the socket stays open. The client's own top-level
`setCursor`/`setPresence` (which the original silently dropped) are aliases of the RPCs.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from nanodev.jsjson import stringify

PONG = '{"type":"pong"}'
RESET = '{"type":"reset"}'


class _Msg(BaseModel):
    # Validators are built on the first frame, not at import: start-up time matters more.
    model_config = ConfigDict(extra="allow", frozen=True, defer_build=True)
    requestId: Any = None
    updateId: Any = None


class Ping(_Msg):
    action: Literal["ping"]


class Subscribe(_Msg):
    action: Literal["subscribe"]
    table: str


class Unsubscribe(_Msg):
    action: Literal["unsubscribe"]
    table: str


class SubscribeQuery(_Msg):
    action: Literal["subscribe_query"]
    queryId: Any = None
    method: Any = None
    tables: Any = None
    payload: Any = None
    sql: Any = None
    table: Any = None


class UnsubscribeQuery(_Msg):
    action: Literal["unsubscribe_query"]
    queryId: Any = None


class Query(_Msg):
    action: Literal["query"]
    sql: Any = None


class Mutate(_Msg):
    action: Literal["mutate"]


class Rpc(_Msg):
    action: Literal["rpc"]
    method: str = "rpc"
    payload: Any = None


class LegacyCall(_Msg):
    """Top-level `createTask` (legacy) and the client's `setCursor`/`setPresence` re-announce."""

    action: Literal["createTask", "setCursor", "setPresence"]
    payload: Any = None


ClientMessage = Annotated[
    Ping
    | Subscribe
    | Unsubscribe
    | SubscribeQuery
    | UnsubscribeQuery
    | Query
    | Mutate
    | Rpc
    | LegacyCall,
    Field(discriminator="action"),
]
_ADAPTER: TypeAdapter[ClientMessage] = TypeAdapter(
    ClientMessage, config=ConfigDict(defer_build=True)
)
KNOWN_ACTIONS = (
    "ping",
    "subscribe",
    "unsubscribe",
    "subscribe_query",
    "unsubscribe_query",
    "query",
    "mutate",
    "rpc",
    "createTask",
    "setCursor",
    "setPresence",
)


class ProtocolError(Exception):
    """A frame nanodev cannot act on; becomes an error frame, never a closed socket."""

    def __init__(self, code: str, error: str, request_id: Any = None) -> None:
        super().__init__(error)
        self.code = code
        self.error = error
        self.request_id = request_id

    def frame(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "error", "code": self.code, "error": self.error}
        if self.request_id is not None:
            out["requestId"] = self.request_id
        return out


def parse(text: str | bytes) -> ClientMessage:
    """One text frame → a typed message, or ProtocolError saying what was wrong."""
    try:
        return _ADAPTER.validate_json(text)
    except ValidationError as exc:
        raise _explain(text, exc) from None


def _explain(text: str | bytes, exc: ValidationError) -> ProtocolError:
    err = exc.errors(include_url=False)[0]
    kind = err["type"]
    if kind == "json_invalid":
        return ProtocolError("BAD_JSON", f"Frame is not valid JSON: {err['ctx'].get('error', '')}")
    request_id = _request_id(text)
    if kind in ("model_attributes_type", "model_type", "union_tag_not_found") and not isinstance(
        _loads(text), dict
    ):
        return ProtocolError("BAD_MESSAGE", "Frame must be a JSON object with an 'action'")
    if kind == "union_tag_not_found":
        return ProtocolError(
            "MISSING_ACTION",
            "Frame has no 'action'; expected one of: " + ", ".join(KNOWN_ACTIONS),
            request_id,
        )
    if kind == "union_tag_invalid":
        action = _loads(text).get("action")
        return ProtocolError(
            "UNKNOWN_ACTION",
            f"Unknown action {action!r}; expected one of: " + ", ".join(KNOWN_ACTIONS),
            request_id,
        )
    loc = ".".join(str(p) for p in err["loc"][1:]) or "frame"
    return ProtocolError("BAD_MESSAGE", f"Invalid '{loc}': {err['msg']}", request_id)


def _loads(text: str | bytes) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _request_id(text: str | bytes) -> Any:
    data = _loads(text)
    return data.get("requestId") if isinstance(data, dict) else None


def binary_frame_error() -> ProtocolError:
    return ProtocolError(
        "BINARY_FRAME", "Binary frames are not part of this protocol; send JSON text"
    )


def encode(frame: dict[str, Any]) -> str:
    """A frame as the Durable Object's `JSON.stringify` writes it (`jsjson`)."""
    return stringify(frame)
