"""Pure "copy as" commands for a recorded request: curl for HTTP (and a raw handshake), websocat
for a WebSocket. Built from the recorded, redacted request, so secrets appear as fingerprints
and the command says which values to paste back in.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping

# Headers a client library sets itself; copying them would only add noise or break the handshake.
_SKIP = frozenset(
    {
        "host",
        "content-length",
        "connection",
        "upgrade",
        "sec-websocket-version",
        "sec-websocket-extensions",
        "user-agent",
    }
)
_SAMPLE_KEY = "dGhlIHNhbXBsZSBub25jZQ=="


def request_url(host: str, path: str, query: str, *, websocket: bool = False) -> str:
    scheme = "ws" if websocket else "http"
    return f"{scheme}://{host or '127.0.0.1'}{path}" + (f"?{query}" if query else "")


def _header_args(headers: Mapping[str, str]) -> list[str]:
    args: list[str] = []
    for name, value in headers.items():
        if name.lower() not in _SKIP:
            args += ["-H", f"{name}: {value}"]
    return args


def _note(headers: Mapping[str, str], query: str) -> str:
    if "…" in query or any("…" in v for v in headers.values()):
        return "# values shown as prefix…last4 are fingerprints: paste the real secret\n"
    return ""


def curl_command(method: str, host: str, path: str, query: str, headers: Mapping[str, str]) -> str:
    """curl for the request; for a handshake, the raw upgrade (shows the refusal's status)."""
    url = request_url(host, path, query)
    args = ["curl", "-i"]
    if method.upper() != "GET":
        args += ["-X", method.upper()]
    if headers.get("upgrade", "").lower() == "websocket":
        args += ["-N", "-H", "Connection: Upgrade", "-H", "Upgrade: websocket"]
        args += ["-H", "Sec-WebSocket-Version: 13", "-H", f"Sec-WebSocket-Key: {_SAMPLE_KEY}"]
    args += _header_args(headers)
    args.append(url)
    return _note(headers, query) + shlex.join(args)


def websocat_command(host: str, path: str, query: str, headers: Mapping[str, str]) -> str:
    args = ["websocat"]
    args += _header_args({k: v for k, v in headers.items() if k.lower() != "origin"})
    if "origin" in {k.lower() for k in headers}:
        origin = next(v for k, v in headers.items() if k.lower() == "origin")
        args += ["--origin", origin]
    args.append(request_url(host, path, query, websocket=True))
    return _note(headers, query) + shlex.join(args)
