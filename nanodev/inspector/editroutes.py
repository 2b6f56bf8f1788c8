"""The replay editor's routes: the form of a recorded handshake, the credentials one may pick
by name, and the edited re-run with its result beside the original.

Credentials leave the server only as names and fingerprints; the page picks one by an opaque
reference that the server resolves again for the one loopback handshake.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Any

from aiohttp import web

from nanodev.authdb import AuthDB, accounts
from nanodev.betterauth import COOKIE_NAME, sign
from nanodev.core import CORE
from nanodev.inspector.context import INSPECTOR, port_of
from nanodev.inspector.editor import EditedRequest, EditError, apply_edit, edit_from_json, form_of
from nanodev.inspector.flows import flow_detail
from nanodev.inspector.people import name_people
from nanodev.inspector.replay import rehandshake
from nanodev.record import Frame, Recorder, fingerprint

FIRST_FRAMES = 5


def ref_of(secret: str) -> str:
    """An opaque, stable handle on a secret: the page can name it, never replay it."""
    return hashlib.sha256(secret.encode()).hexdigest()[:16]


async def credentials(db: AuthDB) -> dict[str, list[dict[str, Any]]]:
    keys = [
        {
            "ref": ref_of(str(k["id"])),
            "label": f"{k['name'] or 'unnamed key'} · {k['email'] or k['user_id']}",
            "fingerprint": fingerprint(str(k["id"])),
            "revoked": k["revoked_at"] is not None,
            "expires_at": k["expires_at"],
        }
        for k in await db.list_keys()
    ]
    sessions = [
        {"ref": ref_of(token), "label": f"session of {email}", "fingerprint": fingerprint(token)}
        for token, email, _expires in await accounts.sessions_with_emails(db)
    ]
    return {"keys": keys, "sessions": sessions}


async def resolve(db: AuthDB, kind: str, ref: str) -> str | None:
    if kind == "key":
        return next(
            (str(k["id"]) for k in await db.list_keys() if ref_of(str(k["id"])) == ref), None
        )
    sessions = await accounts.sessions_with_emails(db)
    return next((t for t, _e, _x in sessions if ref_of(t) == ref), None)


def first_frames(recorder: Recorder, flow_id: int) -> list[str]:
    out = []
    for _seq, event in recorder.flow_events(flow_id):
        if type(event) is Frame and event.direction == "in" and not event.truncated:
            out.append(event.text)
            if len(out) >= FIRST_FRAMES:
                break
    return out


async def api_form(request: web.Request) -> web.StreamResponse:
    core, inspector = request.app[CORE], request.app[INSPECTOR]
    flow_id = _flow_id(request)
    original = inspector.vault.get(flow_id)
    if original is None or flow_id not in core.recorder.flows:
        return _gone()
    form = form_of(original, first_frames(core.recorder, flow_id))
    form["credentials"] = await credentials(core.db)
    return web.json_response(form)


async def api_edit_replay(request: web.Request) -> web.StreamResponse:
    core, inspector = request.app[CORE], request.app[INSPECTOR]
    flow_id = _flow_id(request)
    original = inspector.vault.get(flow_id)
    if original is None or flow_id not in core.recorder.flows:
        return _gone()
    try:
        body = await request.json()
        if not isinstance(body, dict):
            raise EditError("expected a JSON object")
        edited = apply_edit(original, edit_from_json(body), await _picked_key(core.db, body))
        edited = await _with_session(core.db, core.secret, body, edited)
    except (ValueError, EditError) as exc:
        return web.json_response({"error": f"cannot replay: {exc}"}, status=400)
    port = port_of(request, original.listener)
    outcome = await rehandshake(inspector.vault, port, edited.request, edited.frames, edited.method)
    replay = flow_detail(core.recorder, outcome.flow) if outcome.flow else None
    original_detail = flow_detail(core.recorder, flow_id)
    for detail in (original_detail, replay):
        if detail is not None:
            await name_people(core.db, inspector.emails, [detail["flow"]], detail)
    return web.json_response(
        {
            "original": original_detail,
            "replay": replay,
            "status": outcome.status,
            "close_code": outcome.close_code,
            "error": outcome.error,
        }
    )


async def _picked_key(db: AuthDB, body: dict[str, Any]) -> str:
    ref = str(body.get("key_ref") or "")
    if not ref:
        return str(body.get("pasted_key") or "").strip()  # used once, never stored
    key = await resolve(db, "key", ref)
    if key is None:
        raise EditError("that key is no longer in the auth database; reload the form")
    return key


async def _with_session(
    db: AuthDB, secret: str, body: dict[str, Any], edited: EditedRequest
) -> EditedRequest:
    ref = str(body.get("session_ref") or "")
    if not ref:
        return edited
    token = await resolve(db, "session", ref)
    if token is None:
        raise EditError("that session is no longer in the auth database; reload the form")
    headers = {**edited.request.headers, "Cookie": f"{COOKIE_NAME}={sign(token, secret)}"}
    return replace(edited, request=replace(edited.request, headers=headers))


def _flow_id(request: web.Request) -> int:
    try:
        return int(request.match_info["id"])
    except ValueError:
        raise web.HTTPBadRequest(text="flow ids are numbers") from None


def _gone() -> web.Response:
    return web.json_response(
        {"error": "only recent WebSocket handshakes of live traffic can be edited and re-run"},
        status=404,
    )
