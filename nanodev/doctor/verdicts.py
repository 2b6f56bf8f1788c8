"""Pure verdicts for the doctor: what one observed answer means, in one sentence of cause and
one of fix. The probes only observe; everything said to the developer is decided here."""

from __future__ import annotations

from dataclasses import dataclass

from nanodev.doctor.report import Status, Verdict
from nanodev.record import close_meaning

RESET_FRAME = '{"type":"reset"}'
CROSS_SITE_ORIGIN = "https://cross-site.invalid"


@dataclass(frozen=True, slots=True)
class Seen:
    """One handshake or request as the doctor saw it."""

    status: int | None  # None: no HTTP answer at all
    body: str = ""
    first_frame: str | None = None
    error: str = ""

    @property
    def accepted(self) -> bool:
        return self.status == 101

    def observed(self) -> str:
        if self.status is None:
            return f"no answer: {self.error}"
        if self.status == 101:
            frame = self.first_frame if self.first_frame is not None else "no first frame"
            return f"101, first frame {frame[:60]}"
        body = " ".join(self.body.split())[:80]
        return f"{self.status} {body}".strip()


def _said(seen: Seen) -> str:
    body = " ".join(seen.body.split())[:100]
    return f"{seen.status} '{body}'" if body else str(seen.status)


def _broken(seen: Seen, what: str) -> Verdict | None:
    """No answer or a server error: the same verdict whatever the check expected."""
    if seen.status is None:
        return Verdict(
            Status.FAIL,
            f"{what}: no answer ({seen.error})",
            "Start the server (nanodev up, or wrangler dev) or correct --url",
        )
    if seen.status >= 500:
        return Verdict(
            Status.FAIL,
            f"{what}: the server failed with {_said(seen)}",
            "Read the server's own log (nanodev's terminal or inspector, wrangler tail)",
        )
    return None


def health(seen: Seen) -> Verdict:
    if seen.status == 200:
        return Verdict(Status.PASS, "the server answers /health")
    if seen.status == 400 and "room_id" in seen.body:
        return Verdict(
            Status.WARN,
            "the server answers, but /health wants a room_id: the deployed Worker has no "
            "health route of its own (it treats /health as a room path)",
            "Nothing to fix for the socket; check health with ?room_id=<room> and a key",
        )
    return _broken(seen, "GET /health") or Verdict(
        Status.FAIL, f"GET /health answered {_said(seen)}", "Check --url points at the Worker"
    )


def accepted(seen: Seen, what: str) -> Verdict:
    """A handshake that should open a socket whose first frame is the room's reset."""
    broken = _broken(seen, what)
    if broken is not None:
        return broken
    if not seen.accepted:
        return Verdict(
            Status.FAIL,
            f"{what} was refused with {_said(seen)}",
            "The inspector's row for this handshake shows the auth trace (nanodev), or check "
            "the credential with nanodev keys list",
        )
    if seen.first_frame != RESET_FRAME:
        return Verdict(
            Status.WARN,
            f"{what} opened, but the first frame was {seen.first_frame or 'never sent'}, not "
            f"{RESET_FRAME}",
            'The room must send {"type":"reset"} first; the client waits for it',
        )
    return Verdict(Status.PASS, f"{what} opened a socket and the room said reset")


ROOM_ID_CAUSES = {
    "empty": "?room_id with no value (the seed report's URL)",
    "missing": "no room_id at all",
    "whitespace": "a room_id of only spaces",
}


def room_id_refused(seen: Seen, variant: str) -> Verdict:
    what = ROOM_ID_CAUSES[variant]
    broken = _broken(seen, f"a handshake with {what}")
    if broken is not None:
        return broken
    if seen.status == 400:
        return Verdict(Status.PASS, f"{what} is refused with {_said(seen)}")
    if seen.accepted:
        status = Status.WARN if variant == "whitespace" else Status.FAIL
        return Verdict(
            status,
            f"the server opened a socket for {what}: every page that builds the URL before a "
            "room is chosen lands in one shared, nameless room",
            "Reject a missing, empty or blank room_id with 400 before authenticating",
        )
    return Verdict(
        Status.WARN,
        f"{what} was refused with {_said(seen)}, not 400: the room_id check does not run first",
        "Check room_id before the credentials, as the Worker does (400 Missing room_id)",
    )


def refused_key(seen: Seen, kind: str) -> Verdict:
    """An expired, revoked or unknown key: 401, and for expired the 'expired' wording."""
    what = f"a handshake with {'an' if kind[0] in 'aeiou' else 'a'} {kind} key"
    broken = _broken(seen, what)
    if broken is not None:
        return broken
    if seen.accepted:
        enforce = {"expired": "expires_at is not checked", "revoked": "revocation is ignored"}
        return Verdict(
            Status.FAIL,
            f"the server accepted {what}: {enforce.get(kind, 'any nk_ value is let in')}",
            "Look the key up and refuse it with 401 (Invalid API key / API key expired)",
        )
    if kind == "expired" and seen.status == 401 and "expired" not in seen.body.lower():
        return Verdict(
            Status.WARN,
            f"{what} was refused with {_said(seen)}, not as expired: the key given may not "
            "exist on this server",
            "Pass a key that exists and has expired (--expired-key)",
        )
    if seen.status == 401:
        return Verdict(Status.PASS, f"{what} is refused with {_said(seen)}")
    return Verdict(Status.WARN, f"{what} was refused with {_said(seen)}, not 401", "")


def hidden_key(seen: Seen) -> Verdict:
    what = "a non-nk_ X-Nano-Key header beside a valid ?key="
    broken = _broken(seen, what)
    if broken is not None:
        return broken
    if seen.accepted:
        return Verdict(
            Status.WARN,
            f"{what} was accepted: this server looks past the header, production does not "
            "(it refuses with 401), so a page that works here fails there",
            "Send the key in one place only; never a placeholder X-Nano-Key",
        )
    return Verdict(
        Status.PASS,
        f"{what} is refused with {_said(seen)}, as in production: the header comes first and "
        "a value without nk_ hides the query key",
        "Send the key in one place only; never a placeholder X-Nano-Key",
    )


def no_credentials(seen: Seen) -> Verdict:
    broken = _broken(seen, "a handshake with no credentials")
    if broken is not None:
        return broken
    if seen.accepted:
        return Verdict(
            Status.FAIL,
            "the server opened a socket with no key, cookie or token: anyone can use any room",
            "Refuse with 401 Unauthorized: Invalid API Key or Session",
        )
    if seen.status == 401:
        return Verdict(Status.PASS, f"no credentials is refused with {_said(seen)}")
    return Verdict(Status.WARN, f"no credentials was refused with {_said(seen)}, not 401", "")


def session_token(seen: Seen) -> Verdict:
    what = "?session_token="
    broken = _broken(seen, what)
    if broken is not None:
        return broken
    if seen.accepted:
        return Verdict(
            Status.PASS,
            f"{what} opened a socket (a dev-only lookup: production's fallback never succeeds, "
            "so do not build on it)",
        )
    return Verdict(
        Status.WARN,
        f"{what} was refused with {_said(seen)}: the Worker's session_token fallback cannot "
        "succeed (unsigned token, wrong cookie name under https, no bearer plugin)",
        "Authenticate the socket with the session cookie or an nk_ key",
    )


def cross_site(seen: Seen) -> Verdict:
    what = f"a cookie-carrying handshake from Origin {CROSS_SITE_ORIGIN}"
    broken = _broken(seen, what)
    if broken is not None:
        return broken
    if seen.accepted:
        return Verdict(
            Status.FAIL,
            f"{what} was accepted: any website the developer visits can open a socket as "
            "them (cross-site WebSocket hijacking)",
            "Check Origin against the page's own origin before returning 101",
        )
    if seen.status == 403:
        return Verdict(Status.PASS, f"{what} is refused with {_said(seen)}")
    return Verdict(
        Status.WARN,
        f"{what} was refused with {_said(seen)}, not 403: maybe for another reason than Origin",
        "Check that the cookie is valid (the session cookie check)",
    )


def broadcast(a_saw_b: bool, b_saw_a: bool, problem: str = "") -> Verdict:
    if a_saw_b and b_saw_a:
        return Verdict(Status.PASS, "two sockets in one room each saw the other's insert")
    if problem:
        return Verdict(Status.FAIL, f"the broadcast check could not run: {problem}", "")
    missing = "the first socket" if not a_saw_b else "the second socket"
    return Verdict(
        Status.FAIL,
        f"{missing} never saw the other's insert: broadcasts do not reach the room's "
        "other subscribers",
        "Fan row changes out to every socket subscribed to the table in that room",
    )


def reconnect(close_code: int | None, again: Seen) -> Verdict:
    closed = f"the server closed the socket with {close_code} ({close_meaning(close_code)})"
    if close_code is None:
        return Verdict(Status.FAIL, "the server did not close the socket when asked", "")
    if again.accepted and again.first_frame == RESET_FRAME:
        return Verdict(Status.PASS, f"{closed}; the same URL connected again")
    return Verdict(
        Status.FAIL,
        f"{closed}; reconnecting the same URL got {again.observed()}",
        "A closed socket must leave no state that refuses the next handshake",
    )


def data_intact(found: bool, again: Seen) -> Verdict:
    if not again.accepted:
        return Verdict(Status.FAIL, f"reconnecting got {again.observed()}", "")
    if found:
        return Verdict(Status.PASS, "after a close and reconnect the row written earlier is there")
    return Verdict(
        Status.FAIL,
        "after a close and reconnect the row written earlier is gone: the room's data did not "
        "survive the socket",
        "Persist room data in the room's storage, not in the socket's memory",
    )
