"""Explanations for handshakes and requests no hop of nanodev judged itself: relayed to a real
Worker (`--upstream`) or imported from a HAR file. Only what was captured is known here: the
request line, its headers, the status and the body. From those, the same causes the emulated
Worker records are read back: a missing or empty `room_id`, the app's 401/403 texts, a
cross-site Origin, and the `/__ws` prefix used against a production origin.

Pure: plain values in, an `Explanation` (or None: nothing to add) out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from nanodev.inspector.explain import KEY_PARAMS, SESSION_COOKIE, Explanation
from nanodev.origins import LOOPBACK_NAMES, hostname, origin_allowed
from nanodev.record import RequestReceived, Responded
from nanodev.worker import RoomIdProblem, check_room_id, raw_param

WS_PREFIX = "/__ws"
BODY_QUOTE = 200


@dataclass(frozen=True, slots=True)
class Capture:
    """One captured request and its answer, as a HAR or the relay's records hold it."""

    method: str
    path: str
    query: str
    headers: Mapping[str, str]  # names lowercased
    upgrade: bool
    status: int | None
    body: str = ""

    @property
    def failed(self) -> bool:
        if self.status is None:
            return False
        return self.status != 101 if self.upgrade else self.status >= 400

    @property
    def host(self) -> str:
        return self.headers.get("host", "")

    @property
    def has_cookie(self) -> bool:
        return "cookie" in self.headers


def capture_of(request: RequestReceived, answer: Responded) -> Capture:
    """The capture a recorded request and its recorded answer make."""
    return Capture(
        request.method,
        request.path,
        request.query,
        {k.lower(): v for k, v in request.headers.items()},
        request.upgrade,
        answer.status,
        answer.body,
    )


def diagnose(capture: Capture) -> Explanation | None:
    """The cause and fix of a failed capture, or None when none of the known causes fits."""
    if not capture.failed:
        return None
    for rule in RULES:
        found = rule(capture)
        if found is not None:
            return found
    return None


def _room_id(capture: Capture) -> Explanation | None:
    """Production refuses a missing or empty room_id with 400 before anything else; so does
    nanodev, in words. Another status means the room_id was not what went wrong."""
    room_scoped = capture.upgrade or "room" in capture.body.lower()
    if capture.status != 400 or not room_scoped:
        return None
    checked = check_room_id(capture.query)
    if isinstance(checked, RoomIdProblem):
        return Explanation(checked.error, checked.hint)
    return None


def _cross_site(capture: Capture) -> Explanation | None:
    origin = capture.headers.get("origin")
    if capture.status != 403 or not origin or origin == "null" or not capture.host:
        return None
    if "invalid origin" in capture.body.lower():
        return Explanation(
            f"Better Auth refused Origin {origin!r}: it is not one of the app's trusted origins",
            "Add the page's origin to TRUSTED_ORIGINS (comma-separated), or open the page from "
            "BETTER_AUTH_URL",
        )
    if capture.upgrade and capture.has_cookie and not origin_allowed(origin, capture.host):
        return Explanation(
            f"a session-authenticated upgrade to {capture.host} came from Origin {origin!r}, "
            "another site: a cookie-carrying WebSocket handshake from another site is refused",
            "Open the page from the app's own host (or add its origin to the allowed origins)",
        )
    return None


def _auth_text(capture: Capture) -> Explanation | None:
    if capture.status not in (401, 403):
        return None
    body = capture.body.strip()
    for needle, make in AUTH_TEXTS:
        if needle in body.lower():
            return make(capture)
    return None


def _expired_key(capture: Capture) -> Explanation:
    return Explanation(
        "the API key has expired (the Worker answered 401 API key expired)",
        "Create a new key on the app's API keys page (locally: nanodev keys create) and use it",
    )


def _unknown_key(capture: Capture) -> Explanation:
    return Explanation(
        "the Worker has no such API key (401 Invalid API key): deleted, mistyped, or made "
        "against another database (a key made locally does not exist in the deployed D1)",
        "Use a key listed on the deployed app's API keys page, or create one there",
    )


def _no_identity(capture: Capture) -> Explanation:
    keys = [n for n in KEY_PARAMS if raw_param(capture.query, n)[0]]
    header_key = capture.headers.get("x-nano-key")
    if header_key is not None or keys:
        cause = (
            "an API key was sent but does not start with nk_, so the Worker ignored it and "
            "found no session either (401 Unauthorized: Invalid API Key or Session)"
        )
        return Explanation(cause, "Send the full nk_… key (X-Nano-Key, ?api_key= or ?key=)")
    if capture.has_cookie:
        return Explanation(
            "a cookie was sent but no valid session in it: expired, signed with another "
            f"BETTER_AUTH_SECRET, or not named {SESSION_COOKIE} (on https it is "
            f"__Secure-{SESSION_COOKIE}) (401 Unauthorized: Invalid API Key or Session)",
            "Sign in again on the page that opens the socket, on the same site as the Worker",
        )
    return Explanation(
        "the handshake carried no credential: no X-Nano-Key, ?key=, ?api_key= and no session "
        "cookie (401 Unauthorized: Invalid API Key or Session)",
        "Sign in on the same site before opening the socket, or pass ?key=nk_…",
    )


def _signed_out(capture: Capture) -> Explanation:
    return Explanation(
        f"no signed-in session reached the Worker ({capture.status} {_quote(capture.body)})",
        "Sign in first; a page on another site does not send the session cookie",
    )


def _session_failed(capture: Capture) -> Explanation:
    return Explanation(
        "Better Auth's getSession threw while reading the session (401 Authentication failed)",
        "Sign in again; check BETTER_AUTH_SECRET and the auth database binding",
    )


def _not_owner(capture: Capture) -> Explanation:
    room = raw_param(capture.query, "room_id")[2]
    return Explanation(
        f"room {room!r} is registered to another user (403 {_quote(capture.body)})",
        "Use a room you own, or a key of the room's owner",
    )


def _cross_site_text(capture: Capture) -> Explanation:
    origin = capture.headers.get("origin", "")
    return Explanation(
        f"a session-authenticated upgrade came from Origin {origin!r}, not the app's host",
        "Open the page from the app's own host (or add its origin to the allowed origins)",
    )


def _plan_limit(capture: Capture) -> Explanation:
    return Explanation(
        f"the user's plan allows no more rooms ({_quote(capture.body)})",
        "Delete a room, or raise plan_limits.max_rooms for the user",
    )


def _ws_prefix(capture: Capture) -> Explanation | None:
    """`/__ws` exists only in the dev server: a production origin serves its page there."""
    path = capture.path
    on_prefix = path == WS_PREFIX or path.startswith(WS_PREFIX + "/")
    name = hostname(capture.host) if capture.host else None
    if not capture.upgrade or not on_prefix or name is None or name in LOOPBACK_NAMES:
        return None
    rest = path[len(WS_PREFIX) :] or "/"
    return Explanation(
        f"the socket URL keeps the dev server's {WS_PREFIX} prefix on {capture.host}, a "
        f"production origin: only the dev server rewrites {WS_PREFIX}, so the deployed app "
        f"answered {capture.status} instead of upgrading",
        f"Build the socket URL per environment: {WS_PREFIX}{rest} in development, "
        f"wss://{capture.host}{rest} in production",
    )


def _status_only(capture: Capture) -> Explanation | None:
    """A browser's HAR keeps no body for a refused handshake: say what the status alone tells."""
    if capture.status == 0:
        return Explanation(
            "the browser recorded no HTTP answer to the handshake (status 0): the connection "
            "failed, was blocked, or was refused before any server answered; the page saw "
            "close 1006",
            "Open the socket URL with curl or nanodev doctor --url to see what answers there",
        )
    if capture.status not in (401, 403) or capture.body.strip():
        return None
    what = "credentials" if capture.status == 401 else "request"
    return Explanation(
        f"the Worker refused the {what} with {capture.status}; the capture holds no body, "
        "where the Worker names the cause (Invalid API key, API key expired, Unauthorized: "
        "Invalid API Key or Session, or a Forbidden text)",
        "Repeat the handshake with curl -i or nanodev doctor --url to read the body",
    )


def _quote(body: str) -> str:
    text = " ".join(body.split())
    return text[:BODY_QUOTE] + ("…" if len(text) > BODY_QUOTE else "")


AUTH_TEXTS: tuple[tuple[str, Callable[[Capture], Explanation]], ...] = (
    ("api key expired", _expired_key),
    ("invalid api key or session", _no_identity),
    ("invalid api key", _unknown_key),
    ("authentication failed", _session_failed),
    ("belongs to another user", _not_owner),
    ("cross-site websocket upgrade", _cross_site_text),
    ("plan limit reached", _plan_limit),
    ("unauthorized", _signed_out),
)
RULES: tuple[Callable[[Capture], Explanation | None], ...] = (
    _room_id,
    _cross_site,
    _auth_text,
    _ws_prefix,
    _status_only,
)
