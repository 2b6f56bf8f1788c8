"""Cloudflare-only methods: FTS5 search as the local equivalent, NOT_AVAILABLE_LOCALLY for AI."""

from __future__ import annotations

from nanodev.rooms.methods.cloud import fts_query
from tests.conftest import Nano, rpc


def test_fts_query_quotes_words() -> None:
    assert fts_query('ship "it" now') == '"ship"* OR "it"* OR "now"*'
    assert fts_query("  ;; ") is None


async def test_search_uses_fts5_and_the_row_filter(nano: Nano) -> None:
    ws = await nano.connect("s-room")
    for title in ("Ship the release", "Write docs", "shipping labels"):
        await rpc(ws, "createTask", {"title": title}, "t")
    other = await nano.connect("s-room", await nano.key("bob@example.com"))
    await rpc(other, "createTask", {"title": "ship bob's thing"}, "t")
    reply, _ = await rpc(ws, "search", {"query": "ship"}, "s")
    assert reply["originalSql"] == "search" and reply["engine"] == "sqlite-fts5"
    assert sorted(t["title"] for t in reply["data"]) == ["Ship the release", "shipping labels"]
    empty, _ = await rpc(ws, "search", {}, "e")
    assert empty["data"] == []


async def test_ai_methods_say_what_is_missing(nano: Nano) -> None:
    ws = await nano.connect()
    chat, _ = await rpc(ws, "chatWithDatabase", {"message": "hi"}, "c")
    assert (chat["type"], chat["code"], chat["binding"]) == (
        "chat_error",
        "NOT_AVAILABLE_LOCALLY",
        "AI",
    )
    semantic, _ = await rpc(
        ws, "subscribeSemantic", {"topic": "t", "description": "d", "threshold": 0.5}, "s"
    )
    assert (
        semantic["error"] == "AI service not available"
        and semantic["code"] == "NOT_AVAILABLE_LOCALLY"
    )


async def test_stream_intent_tier_gate_then_not_available(nano: Nano) -> None:
    ws = await nano.connect()
    reply, _ = await rpc(ws, "streamIntent", {"text": "abc"}, "i")
    assert reply["feature"] == "psychic_search" and "pro-tier" in reply["error"]
    await nano.core.db.conn.execute("UPDATE \"user\" SET tier = 'pro'")
    await nano.core.db.conn.commit()
    reply, _ = await rpc(ws, "streamIntent", {"text": "abc"}, "i2")
    assert reply["code"] == "NOT_AVAILABLE_LOCALLY" and reply["feature"] == "psychic_search"


async def test_sync_status_without_a_replica(nano: Nano) -> None:
    ws = await nano.connect()
    status, _ = await rpc(ws, "getSyncStatus", None, "g")
    assert status["data"][0]["replicaAvailable"] is False
    forced, _ = await rpc(ws, "forceSyncAll", None, "f")
    assert forced["message"] == "Full sync to D1 completed"
    audit, _ = await rpc(ws, "getAuditLog", None, "a")
    assert audit["data"] == [] and audit["info"].startswith("Audit logs are now streamed")
