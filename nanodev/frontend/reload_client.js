// nanodev live reload: injected into HTML pages served with --static.
// {"type":"reload"} reloads the page; {"type":"css","paths":[...]} swaps stylesheets in place.
(() => {
  if (window.__nanodevReload) return;
  const state = { ws: null, retries: 0, wasOpen: false, css: 0 };
  window.__nanodevReload = state;
  const url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host +
    "/__nanodev/reload/ws";

  function swapStylesheets(paths) {
    const links = [...document.querySelectorAll('link[rel="stylesheet"]')];
    const matching = links.filter((l) => paths.includes(new URL(l.href).pathname));
    for (const old of matching.length ? matching : links) {
      const next = old.cloneNode();
      const href = new URL(old.href);
      href.searchParams.set("__nanodev", String(Date.now()));
      next.href = href.toString();
      // Keep the old sheet until the new one is in, so the page never flashes unstyled.
      next.addEventListener("load", () => old.remove(), { once: true });
      next.addEventListener("error", () => old.remove(), { once: true });
      old.after(next);
    }
    state.css += 1;
    document.dispatchEvent(new CustomEvent("nanodev:css", { detail: paths }));
  }

  function connect() {
    const ws = new WebSocket(url);
    state.ws = ws;
    ws.onopen = () => {
      // A reconnect after nanodev restarted: the files may have changed meanwhile.
      if (state.wasOpen) location.reload();
      state.wasOpen = true;
      state.retries = 0;
    };
    ws.onmessage = (event) => {
      const msg = JSON.parse(event.data);
      if (msg.type === "css") swapStylesheets(msg.paths);
      else if (msg.type === "reload") location.reload();
    };
    ws.onclose = () => {
      const delay = Math.min(5000, 200 * 2 ** state.retries++);
      setTimeout(connect, delay);
    };
  }
  connect();
})();
