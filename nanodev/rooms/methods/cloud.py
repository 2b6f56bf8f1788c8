"""RPCs that need Cloudflare services nanodev does not have (reference §3.14).

- `search` has an honest local equivalent: SQLite FTS5 over `tasks.title` instead of Workers AI
  embeddings + Vectorize. Its reply says so (`"engine": "sqlite-fts5"`), keeps the top 5 and
  the tasks row filter of §3.10.
- Workers AI methods (`chatWithDatabase`, `subscribeSemantic`, `streamIntent` for pro users)
  answer in the method's own error shape with `code: "NOT_AVAILABLE_LOCALLY"` and the missing
  binding, so nothing the client waits for goes unanswered.
- No D1 read replica: `getSyncStatus`/`forceSyncAll` answer as the original does without one.
- `getAuditLog` answers as the original (logs went to Cloudflare Observability).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Awaitable, Callable
from typing import Any

from nanodev.rooms.methods.tasks import visible
from nanodev.rooms.rpc import Call, MethodTable

TierLookup = Callable[[str], Awaitable[str | None]]
NOT_LOCAL = "NOT_AVAILABLE_LOCALLY"
AI = {"code": NOT_LOCAL, "binding": "AI"}
SEARCH_TOP_K = 5
_WORD = re.compile(r"\w+", re.UNICODE)
MSG_PRO_ONLY = (
    "Psychic Search is a pro-tier feature. Please upgrade to access AI-powered auto-sensing."
)


def fts_query(text: str) -> str | None:
    """Free text → an FTS5 query matching any word by prefix; None when there are no words."""
    words = _WORD.findall(text)
    return " OR ".join(f'"{w}"*' for w in words[:32]) if words else None


def search(call: Call) -> None:
    text = call.payload.get("query")
    if not isinstance(text, str) or not text:
        return call.query_result([], "search", engine="sqlite-fts5")
    if len(text) > 500:
        return call.query_error("Search query too long: maximum 500 characters")
    call.store.bump_usage("ai_ops")
    match = fts_query(text)
    rows = _fts_search(call.store.db, match) if match else []
    data = [row for row in rows if visible(row, call.user_id)]
    call.query_result(data, "search", engine="sqlite-fts5")


def _fts_search(db: sqlite3.Connection, match: str) -> list[dict[str, Any]]:
    """A temporary FTS5 index of the current titles (per connection, never on disk)."""
    db.execute("DROP TABLE IF EXISTS temp.task_search")
    db.execute("CREATE VIRTUAL TABLE temp.task_search USING fts5(title, tokenize='porter')")
    try:
        db.execute(
            "INSERT INTO temp.task_search (rowid, title) "
            "SELECT id, title FROM tasks WHERE title IS NOT NULL"
        )
        return db.execute(
            "SELECT t.* FROM temp.task_search s JOIN tasks t ON t.id = s.rowid "
            "WHERE task_search MATCH ? ORDER BY s.rank LIMIT ?",
            (match, SEARCH_TOP_K),
        ).fetchall()
    finally:
        db.execute("DROP TABLE IF EXISTS temp.task_search")


def chat_with_database(call: Call) -> None:
    message = call.payload.get("message")
    if not isinstance(message, str) or not message:
        return call.reply({"type": "chat_error", "error": "Message is required"})
    if len(message) > 1000:
        return call.reply(
            {"type": "chat_error", "error": "Message too long: maximum 1000 characters"}
        )
    call.reply(
        {
            "type": "chat_error",
            "error": "AI is not available. Please configure the AI binding. "
            "(Workers AI, binding AI, does not exist in nanodev.)",
            **AI,
        }
    )


def subscribe_semantic(call: Call) -> None:
    p = call.payload
    topic, description, threshold = p.get("topic"), p.get("description"), p.get("threshold")
    if not isinstance(topic, str) or not topic.strip():
        return call.error("subscribeSemantic requires a non-empty topic string")
    if not isinstance(description, str) or not description.strip():
        return call.error("subscribeSemantic requires a non-empty description string")
    if (
        isinstance(threshold, bool)
        or not isinstance(threshold, int | float)
        or not 0 <= threshold <= 1
    ):
        return call.error("subscribeSemantic requires threshold between 0 and 1")
    if len(description) > 500:
        return call.error("Description too long: maximum 500 characters")
    call.error("AI service not available", **AI)


def stream_intent(tier_of: TierLookup) -> Callable[[Call], Awaitable[None]]:
    async def handler(call: Call) -> None:
        try:
            tier = await tier_of(call.user_id)
        except sqlite3.Error:
            msg = "Unable to verify subscription tier. Please try again."
            return call.error(msg, feature="psychic_search")
        if tier != "pro":
            return call.error(MSG_PRO_ONLY, feature="psychic_search")
        # The client sends this on every keystroke without waiting for a reply: answer each
        # awaited call, but tell a fire-and-forget socket only once rather than toast per key.
        told: set[int] = call.room.state.setdefault("told_no_ai", set())
        if call.request_id is None and call.conn.flow in told:
            return
        told.add(call.conn.flow)
        call.error(
            "Psychic Search needs Workers AI and Vectorize (bindings AI, VECTOR_INDEX), "
            "which do not exist in nanodev.",
            feature="psychic_search",
            **AI,
        )

    return handler


def sync_status() -> dict[str, Any]:
    return {
        "isHealthy": True,
        "lastSyncTime": 0,
        "lastSyncAge": None,
        "totalSyncs": 0,
        "syncErrors": 0,
        "errorRate": "0%",
        "replicaAvailable": False,
        "replicationQueueDepth": 0,
    }


def get_sync_status(call: Call) -> None:
    call.query_result([sync_status()], "getSyncStatus")


def force_sync_all(call: Call) -> None:
    call.success("forceSyncAll", message="Full sync to D1 completed", status=sync_status())


def get_audit_log(call: Call) -> None:
    call.store.bump_usage("reads")
    call.query_result(
        [],
        "getAuditLog",
        info="Audit logs are now streamed to Cloudflare Observability. Use Cloudflare "
        "Dashboard to view logs.",
    )


def register(methods: MethodTable, tier_of: TierLookup) -> None:
    methods.register("search", search)
    methods.register("chatWithDatabase", chat_with_database)
    methods.register("subscribeSemantic", subscribe_semantic)
    methods.register("streamIntent", stream_intent(tier_of))
    methods.register("getSyncStatus", get_sync_status)
    methods.register("forceSyncAll", force_sync_all)
    methods.register("getAuditLog", get_audit_log)
