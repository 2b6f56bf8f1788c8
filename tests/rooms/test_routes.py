"""The room's HTTP routes over real HTTP, behind the same auth as the socket."""

from __future__ import annotations

import json

from nanodev.rooms.routes import (
    ACTIONS,
    backup_key,
    backup_timestamp,
    client_source,
    valid_backup_key,
)
from tests.conftest import Nano, rpc


def test_backup_keys() -> None:
    key = backup_key("2026-02-07T12:34:56.789Z")
    assert key == "backup-2026-02-07T12-34-56-789Z.json"
    assert valid_backup_key(key) and not valid_backup_key("backup-../x.json")
    assert backup_timestamp(key) == "2026-02-07T12-34-56-789Z"


def test_client_source_has_an_interface_per_table() -> None:
    src = client_source({"order_items": [{"name": "id", "type": "INTEGER"}]})
    assert "export interface OrderItems {" in src and "  id: number | null;" in src


async def test_routes_need_auth(nano: Nano) -> None:
    resp = await nano.get("/schema?room_id=my-room")
    assert (resp.status, await resp.text()) == (401, "Unauthorized: Invalid API Key or Session")


async def test_schema_manifest_health_analytics(nano: Nano) -> None:
    key = await nano.key()
    q = f"room_id=my-room&key={key}"
    schema = await (await nano.get(f"/api/schema?{q}")).json()
    assert list(schema) == ["tasks"]
    manifest = await (await nano.get(f"/manifest?{q}")).json()
    assert manifest == {"actions": ACTIONS, "tables": schema}
    health = await (await nano.get(f"/health?{q}")).json()
    assert health["status"] == "healthy" and len(health["doId"]) == 64
    assert health["memory"]["debouncedWritesLimit"] == 10 * 1024 * 1024
    rows = await (
        await nano.get(f"/query?{q}&sql=SELECT%20COUNT(*)%20AS%20n%20FROM%20tasks")
    ).json()
    assert rows == [{"n": 0}]
    analytics = await (await nano.get(f"/analytics?{q}")).json()
    assert analytics["totals"]["reads"] == 3 and analytics["daily"][0]["reads"] == 3


async def test_backup_then_list_then_restore_answers_501(nano: Nano) -> None:
    key = await nano.key()
    ws = await nano.connect("my-room", key)
    await rpc(ws, "createTask", {"title": "keep me"}, "t")
    q = f"room_id=my-room&key={key}"
    done = await nano.get(f"/backup?{q}")
    assert (done.status, await done.text()) == (200, "Backup completed")
    listed = (await (await nano.get(f"/backups?{q}")).json())["backups"]
    assert len(listed) == 1 and listed[0]["key"].startswith("backup-")
    files = list((nano.core.settings.state_dir / "backups").rglob("backup-*.json"))
    export = json.loads(files[0].read_text())
    assert export["data"]["tasks"][0]["title"] == "keep me" and "_usage" in export["schema"]
    resp = await nano.session.post(
        nano.base + f"/restore?{q}", json={"backupKey": listed[0]["key"]}
    )
    assert resp.status == 501
