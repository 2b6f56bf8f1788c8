// nano-type-db's Worker, its room path only, written to the protocol reference that nanodev
// emulates (§1.1 order, §1.3 /health, §1.11 the room-scoped path, §3.4-3.9 the room's socket)
// and run by the real Workers runtime (workerd) in nanodev's tests. It is not the app's own
// source: it is what that source does on the paths nanodev's doctor and upstream relay use,
// with the reference's [REC] fixes where they touch those paths.
//
// Bindings (tests/workerd_server.py writes the config):
//   ROOM     the Room Durable Object namespace (the app's DATA_STORE), one object per room_id
//   AUTH     JSON text {"secret", "keys": {id: {user_id, expires_at}}, "sessions": {token:
//            {userId, expiresAt}}}: the api_keys and session rows the Worker would read from
//            D1 (AUTH_DB). The room path only reads those two tables, so no real D1 is used;
//            the writes it would make (last_used_at, room auto-registration, §1.11 step 6)
//            are left out, and so is the ownership check of §6 #2, which needs that registry.
//   VARIANT  "" for the Worker as described; "no-room-id-check" is a deliberate bug (any
//            room_id, even a missing one, is let in) for the doctor to find; "test-hooks"
//            adds what the relay tests need and the app has not (see TestHooks below).
//
// Not here: Better Auth's /api/auth/*, /api/keys|rooms|webhooks/*, /global-query, static
// assets, usage counters, rate limits, and every RPC besides the ones the doctor sends
// (createTable, deleteTable, batchInsert, executeSQL) and getSchema.

const ROOM_PATHS = new Set([
  "/connect", "/websocket", "/schema", "/manifest", "/download-client", "/analytics",
  "/backups", "/restore", "/backup", "/health", "/query", "/global-query",
]);
const NOT_HERE = ["/api/auth", "/api/keys/", "/api/rooms/", "/api/webhooks/", "/api/user-tier",
  "/debug-auth", "/global-query"];
const SESSION_COOKIE = "better-auth.session_token"; // the http name (§2.3); no __Secure- here
const text = (status, body) => new Response(body, { status });

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const upgrade = (request.headers.get("Upgrade") || "").toLowerCase() === "websocket";
    if (url.pathname === "/health" && request.method === "GET" && !upgrade) {
      return Response.json({ status: "healthy", timestamp: new Date().toISOString() }); // §1.3 [REC]
    }
    if (NOT_HERE.some((p) => url.pathname.startsWith(p))) {
      return text(404, "Not found (this Worker has the room path only)");
    }
    const backend = ROOM_PATHS.has(url.pathname) || url.pathname.startsWith("/api/") || upgrade;
    if (!backend) return text(404, "Not found"); // the SPA fallback, with no assets to serve
    return roomPath(request, env, url, upgrade);
  },
};

// -- §1.11 ---------------------------------------------------------------------------------
async function roomPath(request, env, url, upgrade) {
  const room = checkRoomId(url.searchParams.get("room_id"), env.VARIANT);
  if (room.refused) return room.refused;
  const auth = JSON.parse(env.AUTH);
  let userId;
  try {
    userId = await authenticate(request, url, auth);
  } catch (err) {
    return text(500, `Auth Error: ${err.message}`);
  }
  if (userId instanceof Response) return userId;
  const headers = new Headers(request.headers);
  headers.set("X-User-ID", userId);
  headers.set("X-Room-ID", room.id);
  const stub = env.ROOM.get(env.ROOM.idFromName(room.id));
  if (upgrade) {
    const target = new URL(url);
    target.pathname = "/connect"; // the query string (room_id, key, ...) is kept
    headers.set("Upgrade", "websocket");
    headers.set("Connection", "Upgrade");
    try {
      return await stub.fetch(new Request(target, { method: request.method, headers }));
    } catch (err) {
      return text(500, `WebSocket upgrade failed: ${err.message}`);
    }
  }
  return stub.fetch(new Request(url, { method: request.method, headers, body: request.body }));
}

// Missing or empty: the original's own 400. Then §6 #3 [REC]: trim and apply the rules of
// /api/rooms/create (§1.9 steps 4-5, and §6 #11's text for the over-long case).
function checkRoomId(raw, variant) {
  if (variant === "no-room-id-check") return { id: raw ?? "" };
  if (!raw) return { refused: text(400, "Missing room_id query parameter") };
  const id = raw.replace(/[\u0000-\u001f\u007f]/g, "").trim();
  if (id.length < 3) return { refused: text(400, "Room ID must be at least 3 characters") };
  if (id.length > 50) return { refused: text(400, "Room ID must be at most 50 characters") };
  return { id };
}

// Priority 1: an nk_ key from X-Nano-Key, else ?api_key=, else ?key=. Priority 2: the signed
// session cookie. Priority 3: ?session_token= tried as that cookie's value (Better Auth only
// accepts a signed value, so a raw token fails, as in production; the hyphenated cookie name
// and the Bearer header the original also tries are never accepted without plugins).
async function authenticate(request, url, auth) {
  const q = url.searchParams;
  const candidate = request.headers.get("X-Nano-Key") || q.get("api_key") || q.get("key");
  if (candidate && candidate.startsWith("nk_")) {
    const row = Object.hasOwn(auth.keys, candidate) ? auth.keys[candidate] : null;
    if (!row) return text(401, "Invalid API key");
    if (row.expires_at && Date.now() > row.expires_at) return text(401, "API key expired");
    return row.user_id;
  }
  const session = await getSession(request.headers.get("Cookie"), auth);
  if (session) return session.userId;
  const token = q.get("session_token");
  if (token) {
    const fallback = await getSession(`${SESSION_COOKIE}=${token}`, auth);
    if (fallback) return fallback.userId;
  }
  return text(401, "Unauthorized: Invalid API Key or Session");
}

// §2.3: decode, split at the last '.', a 44-character base64 HMAC-SHA256 of the token under
// the secret, then the session row, refused once expired (expiresAt in seconds).
async function getSession(cookieHeader, auth) {
  const raw = cookieValue(cookieHeader || "", SESSION_COOKIE);
  if (!raw) return null;
  let value;
  try {
    value = decodeURIComponent(raw);
  } catch {
    return null;
  }
  const dot = value.lastIndexOf(".");
  const token = value.slice(0, dot);
  const signature = value.slice(dot + 1);
  if (dot < 1 || signature.length !== 44 || !signature.endsWith("=")) return null;
  const key = await crypto.subtle.importKey(
    "raw", new TextEncoder().encode(auth.secret), { name: "HMAC", hash: "SHA-256" }, false,
    ["verify"],
  );
  let given;
  try {
    given = Uint8Array.from(atob(signature), (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
  if (!(await crypto.subtle.verify("HMAC", key, given, new TextEncoder().encode(token)))) {
    return null;
  }
  const row = Object.hasOwn(auth.sessions, token) ? auth.sessions[token] : null;
  if (!row || row.expiresAt * 1000 < Date.now()) return null;
  return row;
}

function cookieValue(header, name) {
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

// -- the room (§3) ---------------------------------------------------------------------------
const IDENT = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = ["TEXT", "INTEGER", "REAL", "BLOB", "NUMERIC", "BOOLEAN", "DATE", "DATETIME"];
const LITERAL_DEFAULT = /^(-?\d+(\.\d+)?|'([^']|'')*'|NULL|CURRENT_TIMESTAMP|TRUE|FALSE)$/i;
const quote = (name) => `"${name.replaceAll('"', '""')}"`;

export class Room {
  constructor(ctx, env) {
    this.ctx = ctx;
    this.env = env;
    this.sql = ctx.storage.sql;
    this.hooks = env.VARIANT === "test-hooks" ? new TestHooks(ctx) : null;
  }

  // §3.3: of the room's HTTP routes only /connect and /health are here.
  async fetch(request) {
    const path = new URL(request.url).pathname;
    if (path === "/health") return Response.json({ status: "healthy", doId: this.ctx.id.toString() });
    if (path !== "/connect") return text(404, "Not found");
    if ((request.headers.get("Upgrade") || "").toLowerCase() !== "websocket") {
      return text(426, "Expected Upgrade: websocket");
    }
    const [client, server] = Object.values(new WebSocketPair());
    this.ctx.acceptWebSocket(server); // the hibernation API, as the original
    // The original keeps the user and subscriptions in memory, lost when the object hibernates
    // (§3.1); an attachment survives, as nanodev's do.
    server.serializeAttachment({ userId: request.headers.get("X-User-ID") || "anonymous", tables: [] });
    server.send(JSON.stringify({ type: "reset" }));
    return new Response(null, { status: 101, webSocket: client });
  }

  // §3.5: JSON.parse every frame; independent tests on `action`; unknown actions get no reply.
  async webSocketMessage(ws, message) {
    if (this.hooks && this.hooks.handle(ws, message)) return;
    let data;
    try {
      data = JSON.parse(message);
    } catch (err) {
      ws.send(JSON.stringify({ error: err.message }));
      return;
    }
    if (data === null || typeof data !== "object") return;
    try {
      if (data.action === "ping") ws.send(JSON.stringify({ type: "pong" }));
      if (data.action === "subscribe" && typeof data.table === "string") this.subscribe(ws, data.table);
      if (data.action === "rpc") this.rpc(ws, data);
    } catch (err) {
      ws.send(JSON.stringify({ error: err.message }));
    }
  }

  webSocketClose(ws, code, reason, wasClean) {
    if (this.hooks) this.hooks.closed(code, reason, wasClean);
    try {
      ws.close(code, reason); // complete the closing handshake
    } catch {
      // 1005/1006 cannot be sent back; the socket is gone either way
    }
  }

  subscribe(ws, table) {
    const state = ws.deserializeAttachment();
    if (!state.tables.includes(table)) state.tables.push(table);
    ws.serializeAttachment(state);
  }

  // §3.7; every direct reply echoes requestId and updateId (§3.9 [REC]).
  rpc(ws, data) {
    const method = data.method || "rpc";
    const ids = {};
    if (data.requestId !== undefined) ids.requestId = data.requestId;
    if (data.updateId !== undefined) ids.updateId = data.updateId;
    const reply = (frame) => ws.send(JSON.stringify({ ...frame, ...ids }));
    const payload = data.payload && typeof data.payload === "object" ? data.payload : {};
    const user = ws.deserializeAttachment().userId;
    const handlers = {
      getSchema: () => {
        const schema = this.schema();
        ws.send(JSON.stringify({ type: "schema_update", schema }));
        reply({ type: "rpc_result", method: "getSchema", data: schema });
      },
      createTable: () => this.createTable(payload, reply),
      deleteTable: () => this.deleteTable(payload, reply),
      batchInsert: () => this.batchInsert(payload, user, reply),
      executeSQL: () => this.executeSQL(payload, reply),
    };
    if (Object.hasOwn(handlers, method)) return handlers[method]();
    reply({ type: "error", code: "UNKNOWN_METHOD", error: `Unknown RPC method: ${method}` });
  }

  // getSchema: every table not starting with _ or sqlite_, as PRAGMA table_info rows.
  schema() {
    const schema = {};
    const tables = this.sql.exec("SELECT name FROM sqlite_master WHERE type = 'table'").toArray();
    for (const { name } of tables) {
      if (name.startsWith("_") || name.startsWith("sqlite_")) continue;
      schema[name] = this.sql.exec(`PRAGMA table_info(${quote(name)})`).toArray();
    }
    return schema;
  }

  columns(table) {
    return this.sql.exec(`PRAGMA table_info(${quote(table)})`).toArray().map((c) => c.name);
  }

  isUserTable(table) {
    return IDENT.test(table) && !table.startsWith("_") && !table.startsWith("sqlite_") &&
      Object.hasOwn(this.schema(), table);
  }

  // §3.8 rule 2 with [REC] #15: the schema goes once to every socket, before the reply.
  broadcastSchema() {
    const frame = JSON.stringify({ type: "schema_update", schema: this.schema() });
    for (const ws of this.ctx.getWebSockets()) ws.send(frame);
  }

  // §3.8 rule 1: {event:"update"} to the sockets subscribed to the table.
  broadcastUpdate(table, action, row) {
    const frame = JSON.stringify({ event: "update", table, action, row });
    for (const ws of this.ctx.getWebSockets()) {
      if (ws.deserializeAttachment().tables.includes(table)) ws.send(frame);
    }
  }

  createTable(payload, reply) {
    const fail = (error) => reply({ type: "mutation_error", action: "createTable", error });
    const { tableName, columns } = payload;
    if (!tableName || !Array.isArray(columns) || columns.length === 0) {
      return fail("createTable requires tableName and columns array");
    }
    if (!IDENT.test(tableName)) {
      return fail("Invalid table name. Use only letters, numbers, and underscores. Must start with a letter or underscore.");
    }
    if (tableName.startsWith("_") || tableName === "sqlite_sequence") {
      return fail("Cannot create tables with names starting with underscore (reserved for system tables)");
    }
    const defs = [];
    for (const col of columns) {
      const name = String(col?.name ?? "");
      const type = String(col?.type ?? "TEXT").toUpperCase();
      if (!IDENT.test(name)) return fail(`Failed to create table: Invalid column name: ${name}`);
      if (!TYPES.includes(type)) {
        return fail(`Failed to create table: Invalid column type: ${col.type}. Valid types: ${TYPES.join(", ")}`);
      }
      let def = `${quote(name)} ${type}`;
      if (col.primaryKey) def += " PRIMARY KEY";
      if (col.notNull) def += " NOT NULL";
      if (col.unique) def += " UNIQUE";
      if (col.default !== undefined) {
        const literal = String(col.default);
        if (!LITERAL_DEFAULT.test(literal)) { // §3.11 [REC]: literal defaults only
          return fail(`Failed to create table: Invalid default for column: ${name}`);
        }
        def += ` DEFAULT ${literal}`;
      }
      defs.push(def);
    }
    if (!columns.some((c) => c?.name === "id")) defs.unshift('"id" INTEGER PRIMARY KEY AUTOINCREMENT');
    const ddl = `CREATE TABLE IF NOT EXISTS ${quote(tableName)} (${defs.join(", ")})`;
    try {
      this.sql.exec(ddl);
    } catch (err) {
      return fail(`Failed to create table: ${err.message}`);
    }
    this.broadcastSchema();
    reply({ type: "mutation_success", action: "createTable", data: { tableName, sql: ddl } });
  }

  deleteTable(payload, reply) {
    const { tableName } = payload;
    if (!tableName) return reply({ type: "error", error: "deleteTable requires tableName parameter" });
    if (!IDENT.test(tableName)) return reply({ type: "error", error: "Invalid table name" });
    if (tableName.startsWith("_") || tableName.startsWith("sqlite_")) {
      return reply({ type: "error", error: "Cannot delete system tables" });
    }
    try {
      this.sql.exec(`DROP TABLE IF EXISTS ${quote(tableName)}`);
    } catch (err) {
      return reply({ type: "mutation_error", action: "deleteTable", error: `Failed to delete table: ${err.message}` });
    }
    this.broadcastSchema();
    reply({ type: "mutation_success", action: "deleteTable", data: { tableName } });
  }

  // §3.7 batchInsert with [REC] #23: a bad row is skipped alone, rows are broadcast as stored.
  batchInsert(payload, user, reply) {
    const fail = (error, extra = {}) => reply({ type: "mutation_error", action: "batchInsert", error, ...extra });
    const { table, rows } = payload;
    if (typeof table !== "string" || !table) return fail("Invalid table name");
    if (!Array.isArray(rows) || rows.length === 0) return fail("Rows must be a non-empty array");
    if (!this.isUserTable(table)) return fail(`Table '${table}' does not exist or is not accessible`);
    const columns = this.columns(table);
    const keys = Object.keys(rows[0] && typeof rows[0] === "object" ? rows[0] : {}).map(sanitizeIdentifier);
    if (!keys.some((k) => columns.includes(k))) {
      return fail(`Column mismatch. CSV columns (${keys.join(", ")}) do not match Table columns (${columns.join(", ")})`);
    }
    const inserted = [];
    const errors = [];
    const now = Date.now();
    this.ctx.storage.transactionSync(() => {
      rows.forEach((raw, index) => {
        const clean = cleanRow(raw, columns, user, now);
        const names = Object.keys(clean);
        if (names.length === 0) return errors.push(`Row ${index + 1}: no values for known columns`);
        const marks = names.map(() => "?").join(", ");
        try {
          const stored = this.sql.exec(
            `INSERT INTO ${quote(table)} (${names.map(quote).join(", ")}) VALUES (${marks}) RETURNING *`,
            ...names.map((n) => sqlValue(clean[n])),
          ).one();
          inserted.push(stored);
        } catch (err) {
          errors.push(`Row ${index + 1}: ${err.message}`);
        }
      });
    });
    const data = { inserted: inserted.length, total: rows.length, errors: errors.slice(0, 5) };
    if (inserted.length === 0) {
      return fail(`No rows were inserted.${errors.length ? ` First error: ${errors[0]}` : ""}`, { data });
    }
    for (const row of inserted) this.broadcastUpdate(table, "added", row);
    reply({ type: "mutation_success", action: "batchInsert", data });
  }

  // §3.7 executeSQL with §3.11 [REC]: read-only whatever the client sends, one statement, and
  // a statement that wrote anything is rolled back (the DO API has no query_only connection).
  executeSQL(payload, reply) {
    const sql = payload.sql;
    const fail = (error) => reply({ type: "query_error", error });
    if (typeof sql !== "string" || !sql) return fail("executeSQL requires sql parameter");
    const head = sql.trim().toLowerCase();
    if (!head.startsWith("select") && !head.startsWith("with")) {
      return fail("Only SELECT and WITH queries allowed in read-only mode");
    }
    if (sql.length > 10000) return fail("Query too long: maximum 10,000 characters");
    if (/;\s*\S/.test(sql)) return fail("Only one statement is allowed");
    let rows;
    try {
      this.ctx.storage.transactionSync(() => {
        const cursor = this.sql.exec(sql);
        rows = cursor.toArray();
        if (cursor.rowsWritten > 0) throw new Error("Only SELECT and WITH queries allowed in read-only mode");
      });
    } catch (err) {
      return fail(err.message);
    }
    reply({ type: "query_result", data: rows, originalSql: sql });
  }
}

// batchInsert's key normalisation (§3.7): lowercase, [^a-z0-9_] → _, trim _, prefix _, collapse.
function sanitizeIdentifier(key) {
  let name = String(key).toLowerCase().replace(/[^a-z0-9_]/g, "_").replace(/^_+|_+$/g, "");
  if (!/^[a-z_]/.test(name)) name = `_${name}`;
  return name.replace(/_+/g, "_");
}

function cleanRow(raw, columns, user, now) {
  const clean = {};
  if (!raw || typeof raw !== "object") return clean;
  for (const [key, value] of Object.entries(raw)) {
    const name = sanitizeIdentifier(key);
    if (columns.includes(name)) clean[name] = value;
  }
  if (Object.keys(clean).length === 0) return clean;
  for (const [column, filler] of [["user_id", user], ["owner_id", user], ["created_at", now]]) {
    if (columns.includes(column) && !clean[column]) clean[column] = filler;
  }
  return clean;
}

function sqlValue(value) {
  if (value === undefined || value === null) return null;
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value === "object") return JSON.stringify(value);
  return value;
}

// What the relay tests need from the far end and the app does not do (VARIANT "test-hooks"):
// frames that are no JSON object with an `action` are echoed unchanged (text as text, binary
// as binary); {"action":"__close","code","reason"} closes the socket from the Worker's side;
// {"action":"__closes"} answers the close codes the room has seen from clients.
class TestHooks {
  constructor(ctx) {
    this.ctx = ctx;
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS _closes (code INTEGER, reason TEXT, clean INTEGER)");
  }

  handle(ws, message) {
    let data = null;
    if (typeof message === "string") {
      try {
        data = JSON.parse(message);
      } catch {
        // not JSON: echoed below
      }
    }
    if (!data || typeof data !== "object" || typeof data.action !== "string") {
      ws.send(message);
      return true;
    }
    if (data.action === "__close") {
      ws.close(data.code, data.reason);
      return true;
    }
    if (data.action === "__closes") {
      const closes = this.ctx.storage.sql.exec("SELECT code, reason, clean FROM _closes ORDER BY rowid").toArray();
      ws.send(JSON.stringify({ type: "__closes", closes }));
      return true;
    }
    return false;
  }

  closed(code, reason, wasClean) {
    this.ctx.storage.sql.exec("INSERT INTO _closes VALUES (?, ?, ?)", code, reason, wasClean ? 1 : 0);
  }
}
