// nanodev page probe: tells nanodev what this page did with its WebSockets.
// It wraps window.WebSocket in a Proxy (so `new`, subclasses, instanceof, statics and the
// prototype are the browser's own), adds one listener per event after construction, and
// reports in batches over a socket of its own to the origin it was loaded from. It never
// throws into the page, never logs, and stops for good when that socket closes.
(() => {
  const Native = window.WebSocket;
  if (!Native || window.__nanodevProbe) return;
  const script = document.currentScript;
  const endpoint = new URL("/__nanodev/probe/ws", script ? script.src : location.href);
  endpoint.protocol = endpoint.protocol === "https:" ? "wss:" : "ws:";
  const SECRET_PARAMS = new Set(["key", "api_key", "apikey", "token", "session_token",
    "session", "access_token", "secret"]);
  const MAX_QUEUE = 200;
  const MAX_PER_SECOND = 20; // frames; the server closes the channel above its own cap
  const state = { session: Math.random().toString(36).slice(2, 12) + Date.now().toString(36),
    sockets: 0, queue: [], timer: 0, off: false, channel: null, sentAt: [], lastByUrl: new Map(),
    attemptsByUrl: new Map(), reports: 0 };
  window.__nanodevProbe = state;

  // The same fingerprint as nanodev's redaction: a short head and the last four characters.
  function fingerprint(secret) {
    if (!secret) return "";
    if (secret.length <= 8) return "…".repeat(Math.min(secret.length, 3));
    let head = secret.slice(0, 4);
    if (secret.startsWith("nk_")) {
      const second = secret.indexOf("_", 3);
      head = (second >= 0 ? secret.slice(0, second + 1) : "nk_").slice(0, 12);
    }
    return `${head}…${secret.slice(-4)}`;
  }
  const maskKeys = (text) => text.replace(/nk_[A-Za-z0-9_-]{4,}/g, (m) => fingerprint(m));
  const decode = (v) => { try { return decodeURIComponent(v.replace(/\+/g, " ")); } catch { return v; } };

  function redactUrl(raw) {
    const text = String(raw);
    const q = text.indexOf("?");
    if (q < 0) return maskKeys(text).slice(0, 2048);
    const hash = text.indexOf("#", q);
    const query = text.slice(q + 1, hash < 0 ? undefined : hash);
    const parts = query.split("&").map((pair) => {
      const eq = pair.indexOf("=");
      const name = eq < 0 ? pair : pair.slice(0, eq);
      const value = eq < 0 ? "" : pair.slice(eq + 1);
      if (SECRET_PARAMS.has(decode(name).toLowerCase()) && value) {
        return `${name}=${fingerprint(decode(value)).split("…").map(encodeURIComponent).join("…")}`;
      }
      return eq < 0 ? pair : `${name}=${maskKeys(value)}`;
    });
    return (maskKeys(text.slice(0, q)) + "?" + parts.join("&")).slice(0, 2048);
  }

  // Script URLs in a stack (an inline script's is the page's own URL, ?token= and all).
  const redactStack = (stack) => maskKeys(stack.replace(/(https?:\/\/[^\s()]+?)(:\d+:\d+)/g,
    (_m, url, at) => redactUrl(url) + at));

  function allowedNow() {
    const now = Date.now();
    while (state.sentAt.length && now - state.sentAt[0] > 1000) state.sentAt.shift();
    if (state.sentAt.length >= MAX_PER_SECOND) return false;
    state.sentAt.push(now);
    return true;
  }

  // The report channel: opened as soon as the page has loaded, while nanodev is surely there
  // (it just served this script). A request to a nanodev that went away would be logged in
  // the console; a socket that closes is not, and once it closed the probe is off for good.
  function openChannel() {
    if (state.channel || state.off) return;
    try {
      const channel = new Native(endpoint.href);
      state.channel = channel;
      channel.onopen = () => flush();
      channel.onclose = () => { state.off = true; state.queue.length = 0; };
    } catch { state.off = true; }
  }

  function flush() {
    state.timer = 0;
    const channel = state.channel;
    if (state.off || !state.queue.length || !channel || channel.readyState !== 1) return;
    if (!allowedNow()) { state.timer = setTimeout(flush, 1000); return; }
    const reports = state.queue.splice(0, 50);
    try {
      channel.send(JSON.stringify({ v: 1, session: state.session, sent: Date.now(), reports }));
      state.reports += reports.length;
    } catch { state.off = true; }
    if (state.queue.length) state.timer = setTimeout(flush, 50);
  }

  function report(item) {
    if (state.off) return;
    if (state.queue.length >= MAX_QUEUE) state.queue.shift();
    state.queue.push(item);
    if (!state.timer) state.timer = setTimeout(flush, 0);
  }

  function watch(ws, socket, url, born) {
    const base = { socket, url };
    const note = (what, extra) => report({ ...base, what, t: Date.now(), ms: performance.now() - born, ...extra });
    ws.addEventListener("open", () => note("open"));
    ws.addEventListener("error", () => note("error"));
    ws.addEventListener("close", (e) => note("close", { code: e.code,
      reason: maskKeys(String(e.reason)).slice(0, 200), clean: e.wasClean }));
  }

  function constructed(ws, rawUrl, stack, creator) {
    if (String(ws.url).includes("/__nanodev/")) return; // nanodev's own (live reload)
    const socket = ++state.sockets;
    const url = redactUrl(ws.url || rawUrl);
    const born = performance.now();
    const previous = state.lastByUrl.get(url);
    const attempt = (state.attemptsByUrl.get(url) || 0) + 1;
    state.lastByUrl.set(url, born);
    state.attemptsByUrl.set(url, attempt);
    report({ socket, url, what: "construct", t: Date.now(), ms: 0, attempt,
      since: previous === undefined ? null : born - previous,
      page: redactUrl(location.href), stack: redactStack(stack).slice(0, 8000),
      creator: redactStack(creator).slice(0, 8000) });
    watch(ws, socket, url, born);
  }

  function stackNow() {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 40;
    const stack = new Error().stack;
    Error.stackTraceLimit = limit;
    return String(stack || "");
  }

  // Libraries such as partysocket build the socket later, in a promise or timer, where the
  // stack no longer holds the app's line. What does: the construction of the library's own
  // object, an EventTarget subclass. Those stacks are kept (a few, weakly) and the socket is
  // tied to the one line that created objects of the script that built it.
  const creators = [];
  const NativeTarget = window.EventTarget;
  const scriptOf = (line) => { const m = /(https?:\/\/[^\s)]+?):\d+:\d+\)?\s*$/.exec(line); return m ? m[1] : ""; };
  const ownLine = (stack) => stack.split("\n").slice(1).find((l) => /:\d+:\d+\)?\s*$/.test(l) && !l.includes("/__nanodev/probe.js")) || "";
  if (NativeTarget) {
    window.EventTarget = new Proxy(NativeTarget, {
      construct(target, args, newTarget) {
        const obj = Reflect.construct(target, args, newTarget);
        if (newTarget !== target && newTarget !== window.EventTarget && budget(newTarget)) {
          try {
            const stack = stackNow();
            creators.push({ ref: new WeakRef(obj), stack, script: scriptOf(ownLine(stack)) });
            if (creators.length > 50) creators.shift();
          } catch { /* never the page's problem */ }
        }
        return obj;
      },
    });
  }

  // A stack costs microseconds: a class built in bulk (models, emitters) gets a few a second.
  const spent = new WeakMap();
  function budget(cls) {
    const now = performance.now();
    const used = spent.get(cls);
    if (!used || now - used.since > 1000) { spent.set(cls, { since: now, n: 1 }); return true; }
    used.n += 1;
    return used.n <= 20;
  }

  function creatorStack(stack) {
    const script = scriptOf(ownLine(stack));
    if (!script) return "";
    const found = creators.filter((c) => c.script === script && c.ref.deref() !== undefined);
    // Several library objects of that script: only when they were all built by the same
    // path is it certain which line built this socket's.
    const lines = new Set(found.map((c) => c.stack.split("\n").slice(2).join("\n")));
    return lines.size === 1 ? found[found.length - 1].stack : "";
  }

  window.WebSocket = new Proxy(Native, {
    construct(target, args, newTarget) {
      const ws = Reflect.construct(target, args, newTarget); // throws exactly as the browser does
      try {
        const stack = stackNow();
        constructed(ws, args[0], stack, creatorStack(stack));
      } catch { /* never the page's problem */ }
      return ws;
    },
  });
  if (document.readyState === "complete") openChannel();
  else window.addEventListener("load", openChannel, { once: true });

  // `socket.constructor === WebSocket` stays true, as it is without the probe. Not so for
  // EventTarget: every DOM node inherits EventTarget.prototype, and changing it slows every
  // page load (benchmarks/bench_pageprobe.py); subclasses keep their own constructor anyway.
  restoreConstructor(Native, window.WebSocket);


  function restoreConstructor(native, proxy) {
    try {
      const own = Object.getOwnPropertyDescriptor(native.prototype, "constructor");
      if (own) Object.defineProperty(native.prototype, "constructor", { ...own, value: proxy });
    } catch { /* a frozen prototype keeps the native constructor */ }
  }
})();
