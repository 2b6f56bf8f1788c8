// nanodev inspector: renders the JSON API, follows the live feed. Every recorded value is
// attacker-controlled text, so it only ever reaches the page through textContent.
// This file holds the helpers, the list and the live feed; inspector-detail.js and
// inspector-rooms.js add the detail pane and the Rooms tab to the same `NI` namespace.
'use strict';
(() => {
  const P = document.body.dataset.prefix || '/__nanodev';
  const $ = (id) => document.getElementById(id);
  const ROW_H = 22;  // every list row is one line of this height: the list is virtualized
  const OVERSCAN = 20;
  const DETAIL_EVERY_MS = 1000;
  const state = {
    paused: false, pending: 0, dirty: true, full: true, detailDirty: false, roomsDirty: true,
    selected: null, detailAt: 0, source: 'live', tab: 'flows', replays: {},
    rows: new Map(), order: [], lastSeq: 0, total: 0, fetching: false,
  };

  // -- DOM helpers: text nodes only ------------------------------------------------------------
  function el(tag, cls, ...children) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }
  function button(label, onClick) {
    const b = el('button', null, label);
    b.type = 'button';
    b.addEventListener('click', onClick);
    return b;
  }
  function table(headers, rows) {
    const t = el('table');
    t.append(el('thead', null, el('tr', null, ...headers.map((h) => (h instanceof Node ? h : el('th', null, h))))));
    const body = el('tbody');
    for (const row of rows) body.append(el('tr', null, ...row.map((c) => (c instanceof Node && c.tagName === 'TD' ? c : el('td', null, c)))));
    t.append(body);
    return t;
  }
  const time = (ts) => new Date(ts * 1000).toISOString().slice(11, 23);
  const show = (v) => (v === null || v === undefined || v === '' ? '—' : v);
  const statusClass = (s) => (s ? 's' + String(s)[0] + 'xx' : 'snone');
  const who = (row) => show(row.user || row.user_id);

  // -- API -------------------------------------------------------------------------------------
  function filterQuery() {
    const q = new URLSearchParams();
    for (const name of ['status', 'path', 'room', 'outcome', 'q']) {
      const value = $('f-' + name).value.trim();
      if (value) q.set(name, value);
    }
    if ($('f-ws').checked) q.set('ws', '1');
    return q;
  }
  function sourced(q) {
    if (state.source === 'import') q.set('source', 'import');
    return q;
  }
  async function getJSON(path) {
    const response = await fetch(P + path, { credentials: 'same-origin' });
    return response.json();
  }
  async function post(path, body) {
    const response = await fetch(P + path, {
      method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body || {}),
    });
    return response.json();
  }

  // -- the list: rows kept by id, merged from `since` answers, drawn only where visible --------
  async function refreshList() {
    if (state.fetching) return;  // one request in flight; the next tick picks up the rest
    state.fetching = true;
    state.dirty = false;
    const full = state.full;
    state.full = false;
    try {
      const q = sourced(filterQuery());
      if (!full) q.set('since', String(state.lastSeq));
      const data = await getJSON('/api/flows?' + q.toString());
      merge(data, full);
      renderPatterns(data.patterns || []);
      if (!data.imported && state.source === 'import') leaveImport();
    } finally {
      state.fetching = false;
    }
  }
  function merge(data, full) {
    if (full) state.rows.clear();
    for (const f of data.flows) state.rows.set(f.id, f);
    for (const id of data.unmatched || []) state.rows.delete(id);
    if (data.oldest) for (const id of state.rows.keys()) if (id < data.oldest) state.rows.delete(id);
    state.lastSeq = data.last_seq;
    state.total = data.total;
    if (full || data.flows.length || (data.unmatched || []).length) {
      state.order = [...state.rows.values()].sort((a, b) => b.id - a.id);
      drawList();
    }
  }
  function drawList() {
    const list = $('list');
    const n = state.order.length;
    $('rows-spacer').style.height = `${n * ROW_H}px`;
    const first = Math.max(0, Math.floor(list.scrollTop / ROW_H) - OVERSCAN);
    const last = Math.min(n, Math.ceil((list.scrollTop + list.clientHeight) / ROW_H) + OVERSCAN);
    const rows = $('rows');
    rows.style.transform = `translateY(${first * ROW_H}px)`;
    rows.replaceChildren(...state.order.slice(first, last).map(renderRow));
    drawEmpty(n);
  }
  function drawEmpty(n) {
    const empty = $('empty');
    empty.hidden = n > 0;
    const active = [...filterQuery().entries()].map(([k, v]) => `${k}=${v}`);
    $('counts').textContent = state.total ? `${n} of ${state.total} shown` : '';
    if (n === 0 && active.length && state.total > 0) {
      empty.textContent = `No requests match ${active.join(', ')}; ${state.total} hidden. Clear the filters to see them.`;
    } else {
      empty.textContent = 'Nothing recorded yet. Open a page or a socket through nanodev.';
    }
  }
  function renderRow(f) {
    const target = f.target ? f.target.split('?')[0] : '';
    const full = f.path + (f.query ? '?' + f.query : '');
    const path = full;  // the query is what matters; the rewrite is in the hover text
    const hover = target && target !== f.path ? `${full} → ${target}` : full;
    const status = f.status === 101 && !f.open && f.close_code !== null ? `101 ⇢ ${f.close_code}` : show(f.status);
    const cells = [
      ['time', time(f.ts)], ['method', f.upgrade ? 'WS' : f.method], ['path', path],
      ['room', show(f.room)], ['user', who(f)], ['status', status],
      ['ms', f.duration_ms === null ? '—' : f.duration_ms.toFixed(1)], ['outcome', f.outcome],
      ['why', f.explanation.cause],
    ];
    const row = el('div', `row ${f.outcome} ${statusClass(f.status)}`);
    for (const [cls, text] of cells) {
      const cell = el('span', cls, text);
      cell.title = cls === 'path' ? hover : String(text);  // full text on hover: cells are cut
      row.append(cell);
    }
    row.dataset.flow = String(f.id);
    if (f.id === state.selected) row.classList.add('selected');
    row.addEventListener('click', () => select(f.id));
    return row;
  }
  function renderPatterns(patterns) {
    $('patterns').replaceChildren(...patterns.map((p) => el('div', 'pattern',
      el('strong', null, 'Repeating room-less handshake: '), p.cause, el('br'),
      el('strong', null, 'Fix: '), p.fix, ` (flows ${p.flows.map((id) => '#' + id).join(', ')})`)));
  }

  // -- one flow (the pane itself is drawn by inspector-detail.js) ------------------------------
  function select(id) {
    if (state.selected !== id) $('detail-editor').replaceChildren();
    state.selected = id;
    for (const row of $('rows').children) row.classList.toggle('selected', row.dataset.flow === String(id));
    return refreshDetail();
  }
  async function refreshDetail() {
    state.detailDirty = false;
    state.detailAt = Date.now();
    if (state.selected === null) return;
    const suffix = state.source === 'import' ? '?source=import' : '';
    const d = await getJSON(`/api/flows/${state.selected}${suffix}`);
    if (d.flow && d.flow.id !== state.selected) return;  // another row was clicked meanwhile
    $('detail-main').replaceChildren(...(d.error ? [el('p', 'muted', d.error)] : NI.renderDetail(d)));
  }

  // -- live feed: events only mark things dirty; a timer redraws at most a few times a second --
  function setStatus(text, cls) { const s = $('live-status'); s.textContent = text; s.className = 'status ' + cls; }
  function connect() {
    const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${P}/api/live`);
    ws.addEventListener('open', () => setStatus(state.paused ? 'paused' : 'live', state.paused ? 'paused' : 'live'));
    ws.addEventListener('message', (msg) => {
      const data = JSON.parse(msg.data);
      if (data.type !== 'events') return;
      state.roomsDirty = true;
      if (state.paused) { state.pending += data.events.length; setStatus(`paused (${state.pending} new)`, 'paused'); return; }
      state.dirty = true;
      if (data.events.some((e) => e.event.flow === state.selected)) state.detailDirty = true;
    });
    ws.addEventListener('close', () => { setStatus('disconnected', 'down'); setTimeout(connect, 1000); });
  }
  function tick() {
    if (state.source === 'live' && state.paused) return;
    if (state.tab === 'flows' && state.dirty) refreshList();
    // A busy socket's detail is redrawn at most once a second, however many frames arrive.
    if (state.tab === 'flows' && state.detailDirty && Date.now() - state.detailAt >= DETAIL_EVERY_MS) refreshDetail();
    if (state.tab === 'rooms' && state.roomsDirty) NI.refreshRooms();
  }

  // -- controls --------------------------------------------------------------------------------
  function togglePause() {
    state.paused = !state.paused;
    $('pause').textContent = state.paused ? 'Resume' : 'Pause';
    if (!state.paused) { state.pending = 0; state.dirty = true; setStatus('live', 'live'); } else setStatus('paused', 'paused');
  }
  function switchTab(tab) {
    state.tab = tab;
    $('view-flows').hidden = tab !== 'flows';
    $('view-rooms').hidden = tab !== 'rooms';
    $('tab-flows').classList.toggle('active', tab === 'flows');
    $('tab-rooms').classList.toggle('active', tab === 'rooms');
    state.dirty = state.roomsDirty = true;
    if (tab === 'flows') requestAnimationFrame(drawList);
  }
  function reload() { state.full = true; state.dirty = true; }
  async function importFile(file) {
    const text = await file.text();
    const response = await fetch(P + '/api/import', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: text });
    const r = await response.json();
    if (r.error) { $('import-text').textContent = r.error; $('import-banner').hidden = false; return; }
    state.source = 'import'; state.selected = null;
    $('import-text').textContent = `Viewing an imported session: ${r.imported} events, ${r.flows} flows.`;
    $('import-banner').hidden = false;
    $('detail-main').replaceChildren(el('p', 'muted', 'Select a request or socket.'));
    reload();
  }
  async function leaveImport() {
    if (state.source === 'import') await post('/api/import/leave');
    state.source = 'live'; state.selected = null; reload();
    $('import-banner').hidden = true;
  }
  function resizable() {
    // Drag the bar between list and detail; the width is a CSS variable, so the narrow-window
    // layout (detail stacked below) ignores it.
    const split = $('split');
    $('resizer').addEventListener('pointerdown', (down) => {
      down.preventDefault();
      const move = (e) => {
        const right = split.getBoundingClientRect().right;
        split.style.setProperty('--detail-width', `${Math.max(280, Math.min(right - e.clientX, right - 600))}px`);
      };
      const up = () => { window.removeEventListener('pointermove', move); window.removeEventListener('pointerup', up); drawList(); };
      window.addEventListener('pointermove', move);
      window.addEventListener('pointerup', up);
    });
  }

  function start() {
    $('pause').addEventListener('click', togglePause);
    $('clear').addEventListener('click', async () => { await post('/api/clear'); state.selected = null; $('detail-main').replaceChildren(); $('detail-editor').replaceChildren(); reload(); });
    $('import').addEventListener('change', (e) => { if (e.target.files.length) importFile(e.target.files[0]); });
    $('leave-import').addEventListener('click', leaveImport);
    // Export HAR: the flows the filter shows, from the session being viewed (live or imported).
    $('export-har').addEventListener('click', () => {
      const q = filterQuery().toString();
      $('export-har').href = P + '/api/export.har' + (q ? '?' + q : '');
    });
    $('tab-flows').addEventListener('click', () => switchTab('flows'));
    $('tab-rooms').addEventListener('click', () => switchTab('rooms'));
    $('filters').addEventListener('input', () => { reload(); refreshList(); });
    $('filters').addEventListener('submit', (e) => e.preventDefault());
    $('list').addEventListener('scroll', () => requestAnimationFrame(drawList), { passive: true });
    window.addEventListener('resize', () => requestAnimationFrame(drawList));
    resizable();
    // A link to one flow (`/__nanodev/#flow=12`, as the demo and the page probe give): open it.
    const linked = /^#flow=(\d+)$/.exec(location.hash);
    if (linked) select(Number(linked[1]));
    connect();
    setInterval(tick, 250);
    tick();
  }

  const NI = window.NI = {
    P, $, state, el, button, table, time, show, who, statusClass, getJSON, post, select, switchTab,
  };
  document.addEventListener('DOMContentLoaded', start);
})();
