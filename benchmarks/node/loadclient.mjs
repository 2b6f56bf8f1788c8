// Load client for benchmarks/bench_websocket.py: one scenario per run, one JSON line out.
// Usage: node loadclient.mjs <scenario> <ws url prefix ending in room_id=> <count> [extra]
//   handshake N | rtt N | pipelined TOTAL WINDOW | fanout SUBSCRIBERS ROUNDS
import WebSocket from "ws";

const [scenario, base, countArg, extraArg] = process.argv.slice(2);
const count = Number(countArg);
const extra = Number(extraArg ?? 0);
const now = () => Number(process.hrtime.bigint()) / 1e6;
const opts = { perMessageDeflate: false };

function open(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, opts);
    ws.once("message", () => resolve(ws)); // the room's reset frame: the handshake is done
    ws.once("error", reject);
  });
}
const next = (ws, pred = () => true) => new Promise((resolve) => {
  const on = (data) => { const text = data.toString(); if (pred(text)) { ws.off("message", on); resolve(text); } };
  ws.on("message", on);
});

async function handshake() {
  const out = [];
  for (let i = 0; i < count; i++) {
    const t = now();
    const ws = await open(base + "hs-room-" + (i % 10));
    out.push(now() - t);
    ws.close();
  }
  return { ms: out };
}

async function rtt() {
  const ws = await open(base + "rtt-room");
  const out = [];
  for (let i = 0; i < count; i++) {
    const t = now();
    const got = next(ws);
    ws.send('{"action":"ping"}');
    await got;
    out.push(now() - t);
  }
  ws.close();
  return { ms: out };
}

async function pipelined() {
  const ws = await open(base + "pipe-room");
  const window = extra || 64;
  let sent = 0, received = 0;
  const t = now();
  await new Promise((resolve) => {
    ws.on("message", () => {
      received++;
      if (sent < count) { ws.send('{"action":"ping"}'); sent++; }
      if (received === count) resolve();
    });
    for (; sent < Math.min(window, count); sent++) ws.send('{"action":"ping"}');
  });
  const seconds = (now() - t) / 1000;
  ws.close();
  return { msg_s: count / seconds };
}

async function fanout() {
  const room = base + "fan-" + count + "-" + process.pid;
  const subs = [];
  for (let i = 0; i < count; i += 50) {
    subs.push(...await Promise.all(Array.from({ length: Math.min(50, count - i) }, () => open(room))));
  }
  const writer = await open(room);
  for (const ws of [...subs, writer]) {
    ws.send('{"action":"subscribe","table":"tasks"}');
    const pong = next(ws, (t) => t === '{"type":"pong"}');
    ws.send('{"action":"ping"}');
    await pong;
  }
  const out = [];
  const rounds = extra || 30;
  for (let r = 0; r < rounds; r++) {
    const arrivals = subs.map((ws) => next(ws, (t) => t.includes('"event"')));
    const acked = next(writer, (t) => t.includes(`"f${r}"`));
    const t = now();
    writer.send(JSON.stringify({ action: "rpc", method: "batchInsert", requestId: `f${r}`,
      payload: { table: "tasks", rows: [{ title: `t${r}` }] } }));
    await Promise.all(arrivals);
    out.push(now() - t);
    await acked;
  }
  for (const ws of [...subs, writer]) ws.close();
  return { ms: out };
}

const scenarios = { handshake, rtt, pipelined, fanout };
const result = await scenarios[scenario]();
process.stdout.write(JSON.stringify(result) + "\n");
process.exit(0);
