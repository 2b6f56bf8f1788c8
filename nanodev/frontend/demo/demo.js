// The nanodev demo: one room, one table, live in every tab. Plain WebSocket, no build step.
(() => {
  const TABLE = "notes";
  const $ = (id) => document.getElementById(id);
  const rows = new Map();
  const pending = new Map();
  let ws = null;
  let seeded = null;
  let nextId = 1;
  let retries = 0;

  function setState(state, text) {
    const el = $("state");
    el.className = `state ${state}`;
    el.dataset.state = state;
    el.textContent = text || state;
  }

  function showError(message) {
    const el = $("error");
    el.hidden = !message;
    el.textContent = message || "";
  }

  function rpc(method, payload) {
    const requestId = `demo-${nextId++}`;
    return new Promise((resolve, reject) => {
      pending.set(requestId, { resolve, reject });
      ws.send(JSON.stringify({ action: "rpc", method, payload, requestId }));
    });
  }

  function render() {
    const body = $("notes").querySelector("tbody");
    const sorted = [...rows.values()].sort((a, b) => a.id - b.id);
    const focused = document.activeElement?.dataset?.id;
    body.replaceChildren(...sorted.map(renderRow));
    if (focused) body.querySelector(`td.text[data-id="${focused}"]`)?.focus();
  }

  function renderRow(row) {
    const tr = document.createElement("tr");
    tr.dataset.id = row.id;
    const id = document.createElement("td");
    id.textContent = row.id;
    const text = document.createElement("td");
    text.className = "text";
    text.contentEditable = "true";
    text.dataset.id = row.id;
    text.textContent = row.text ?? "";
    text.addEventListener("keydown", (e) => {
      if (e.key === "Enter") { e.preventDefault(); text.blur(); }
    });
    text.addEventListener("blur", () => {
      if (text.textContent !== (rows.get(row.id)?.text ?? "")) {
        rpc("updateRow", { table: TABLE, id: row.id, field: "text", value: text.textContent })
          .catch((err) => showError(err.message));
      }
    });
    const done = document.createElement("td");
    const box = document.createElement("input");
    box.type = "checkbox";
    box.checked = Boolean(row.done);
    box.addEventListener("change", () => {
      rpc("updateRow", { table: TABLE, id: row.id, field: "done", value: box.checked ? 1 : 0 })
        .catch((err) => showError(err.message));
    });
    done.append(box);
    tr.append(id, text, done);
    if (row.__fresh) { tr.classList.add("flash"); delete row.__fresh; }
    return tr;
  }

  function onMessage(event) {
    const msg = JSON.parse(event.data);
    if (msg.event === "update" && msg.table === TABLE) {
      if (msg.action === "deleted") rows.delete(msg.row.id);
      else rows.set(msg.row.id, { ...msg.row, __fresh: true });
      render();
      return;
    }
    const waiter = msg.requestId && pending.get(msg.requestId);
    if (!waiter) return;
    pending.delete(msg.requestId);
    if (msg.type === "mutation_error" || msg.type === "query_error" || msg.type === "error") {
      waiter.reject(new Error(msg.error));
    } else {
      waiter.resolve(msg);
    }
  }

  async function onOpen() {
    retries = 0;
    setState("open", `connected to ${seeded.room}`);
    showError("");
    await rpc("createTable", {
      tableName: TABLE,
      columns: [{ name: "text", type: "TEXT" }, { name: "done", type: "INTEGER", default: 0 }],
    }).catch(() => {}); // already there: CREATE TABLE IF NOT EXISTS answers success anyway
    ws.send(JSON.stringify({ action: "subscribe", table: TABLE }));
    const result = await rpc("executeSQL", { sql: `SELECT * FROM ${TABLE} ORDER BY id` });
    rows.clear();
    for (const row of result.data) rows.set(row.id, row);
    render();
    document.body.dataset.ready = "true";
  }

  function connect() {
    setState("connecting", retries ? `reconnecting (try ${retries + 1})…` : "connecting…");
    ws = new WebSocket(seeded.wsUrl);
    ws.onopen = () => onOpen().catch((err) => showError(err.message));
    ws.onmessage = onMessage;
    ws.onclose = (event) => {
      document.body.dataset.ready = "false";
      for (const waiter of pending.values()) waiter.reject(new Error("socket closed"));
      pending.clear();
      setState("closed", `closed (${event.code}) – retrying`);
      setTimeout(connect, Math.min(5000, 250 * 2 ** retries++));
    };
  }

  $("add").addEventListener("submit", (e) => {
    e.preventDefault();
    const input = $("text");
    const text = input.value.trim();
    if (!text || !ws || ws.readyState !== WebSocket.OPEN) return;
    input.value = "";
    rpc("batchInsert", { table: TABLE, rows: [{ text, done: 0 }] })
      .catch((err) => showError(err.message));
  });

  // -- the classic failure, on purpose ---------------------------------------------------------
  function openClassic(url) {
    const socket = new WebSocket(url); // the line nanodev names as the one that opened it
    return new Promise((resolve) => {
      const seen = [];
      socket.onopen = () => { seen.push("open"); socket.close(); };
      socket.onerror = () => seen.push("error");
      socket.onclose = (event) => { seen.push(`close ${event.code}`); resolve(seen); };
    });
  }

  function line(...parts) {
    const li = document.createElement("li");
    for (const part of parts) {
      if (part instanceof Node) { li.append(part); continue; }
      const node = document.createElement(part.code ? "code" : "span");
      node.textContent = part.code || part;
      li.append(node);
    }
    return li;
  }

  async function reproduceClassic() {
    const base = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/__ws/websocket`;
    const saw = $("page-saw");
    saw.replaceChildren();
    $("nanodev-knows").replaceChildren(line("waiting for nanodev…"));
    for (const url of [`${base}?room_id`, base, base]) {
      const seen = await openClassic(url);
      saw.append(line(url.slice(url.indexOf("/__ws")), " → ", { code: seen.join(", ") }));
    }
    showKnown(await ourLastHandshake());
  }

  // The newest handshake the page probe joined to this page's last socket.
  async function ourLastHandshake() {
    const probe = window.__nanodevProbe;
    for (let tries = 0; tries < 50; tries++) {
      const list = await (await fetch("/__nanodev/api/flows")).json();
      const rows = list.flows.filter((f) => f.upgrade && f.path === "/__ws/websocket").slice(0, 6);
      for (const row of rows) {
        const detail = await (await fetch(`/__nanodev/api/flows/${row.id}`)).json();
        const page = detail.sides && detail.sides.page;
        if (!probe && detail.flow.status === 400) return detail;
        if (page && probe && page.session === probe.session && page.seen.length) return detail;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    return null;
  }

  function showKnown(detail) {
    const box = $("nanodev-knows");
    if (!detail) { box.replaceChildren(line("nanodev saw no matching handshake")); return; }
    const construct = detail.sides && detail.sides.page && detail.sides.page.construct;
    const link = document.createElement("a");
    link.id = "classic-link";
    link.href = `/__nanodev/#flow=${detail.flow.id}`;
    link.textContent = `handshake #${detail.flow.id} in the inspector`;
    const list = document.createElement("ul");
    list.append(
      line("nanodev: ", { code: `${detail.flow.status} ${detail.explanation.cause}` }),
      line("fix: ", detail.explanation.fix),
      line("opened by: ", { code: construct ? construct.opened_by : "(the page probe is off)" }),
      line("see ", link));
    box.replaceChildren(list);
  }

  $("reproduce").addEventListener("click", () => {
    reproduceClassic().catch((err) => showError(err.message));
  });

  async function start() {
    const res = await fetch("/__nanodev/demo/seed", { method: "POST" });
    if (!res.ok) throw new Error(`demo seed failed: ${res.status} ${await res.text()}`);
    seeded = await res.json();
    $("room").textContent = seeded.room;
    $("email").textContent = seeded.email;
    $("key").textContent = `${seeded.key.slice(0, 12)}…`;
    connect();
  }
  start().catch((err) => { setState("closed", "failed"); showError(err.message); });
})();
