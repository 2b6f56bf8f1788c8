// nanodev inspector: renders the JSON API, follows the live feed. Every recorded value is
// attacker-controlled text, so it only ever reaches the page through textContent.
'use strict';
(() => {
  const P = document.body.dataset.prefix || '/__nanodev';
  const $ = (id) => document.getElementById(id);
  const state = {
    paused: false, pending: 0, dirty: true, detailDirty: false, roomsDirty: true,
    selected: null, source: 'live', tab: 'flows', replays: {},
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
    t.append(el('thead', null, el('tr', null, ...headers.map((h) => el('th', null, h)))));
    const body = el('tbody');
    for (const row of rows) body.append(el('tr', null, ...row.map((c) => (c instanceof Node && c.tagName === 'TD' ? c : el('td', null, c)))));
    t.append(body);
    return t;
  }
  const time = (ts) => new Date(ts * 1000).toISOString().slice(11, 23);
  const show = (v) => (v === null || v === undefined || v === '' ? '—' : v);

  // -- API -------------------------------------------------------------------------------------
  function filterQuery() {
    const q = new URLSearchParams();
    for (const name of ['status', 'path', 'room', 'outcome', 'q']) {
      const value = $('f-' + name).value.trim();
      if (value) q.set(name, value);
    }
    if ($('f-ws').checked) q.set('ws', '1');
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

  // -- the list --------------------------------------------------------------------------------
  async function refreshList() {
    state.dirty = false;
    const data = await getJSON('/api/flows?' + filterQuery().toString());
    renderPatterns(data.patterns || []);
    const rows = $('rows');
    rows.replaceChildren(...data.flows.map(renderRow));
    $('empty').hidden = data.flows.length > 0;
    if (!data.imported && state.source === 'import') leaveImport();
  }
  function renderRow(f) {
    const path = f.target && f.target.split('?')[0] !== f.path ? `${f.path} → ${f.target.split('?')[0]}` : f.path;
    const status = f.status === 101 && !f.open && f.close_code !== null ? `101 ⇢ ${f.close_code}` : show(f.status);
    const tr = el('tr', f.outcome,
      el('td', null, time(f.ts)), el('td', null, f.upgrade ? 'WS' : f.method),
      el('td', 'path', path + (f.query ? '?' + f.query : '')), el('td', 'room', show(f.room)),
      el('td', 'user', show(f.user_id)), el('td', 'status', status),
      el('td', null, f.duration_ms === null ? '—' : f.duration_ms.toFixed(1)),
      el('td', 'outcome', f.outcome), el('td', 'why', f.explanation.cause));
    tr.children[2].title = tr.children[2].textContent;  // the full path on hover
    tr.children[8].title = tr.children[8].textContent;
    tr.dataset.flow = String(f.id);
    if (f.id === state.selected) tr.classList.add('selected');
    tr.addEventListener('click', () => select(f.id));
    return tr;
  }
  function renderPatterns(patterns) {
    $('patterns').replaceChildren(...patterns.map((p) => el('div', 'pattern',
      el('strong', null, 'Repeating room-less handshake: '), p.cause, el('br'),
      el('strong', null, 'Fix: '), p.fix, ` (flows ${p.flows.map((id) => '#' + id).join(', ')})`)));
  }

  // -- one flow --------------------------------------------------------------------------------
  function select(id) {
    state.selected = id;
    for (const tr of $('rows').children) tr.classList.toggle('selected', tr.dataset.flow === String(id));
    refreshDetail();
  }
  async function refreshDetail() {
    state.detailDirty = false;
    if (state.selected === null) return;
    const suffix = state.source === 'import' ? '?source=import' : '';
    const d = await getJSON(`/api/flows/${state.selected}${suffix}`);
    $('detail').replaceChildren(...(d.error ? [el('p', 'muted', d.error)] : renderDetail(d)));
  }
  function renderDetail(d) {
    const f = d.flow;
    const parts = [el('h2', null, `#${f.id} ${d.request_line || f.method + ' ' + f.path}`)];
    const bad = (f.status !== null && f.status >= 400) || f.outcome === 'refused' || f.outcome === 'error';
    parts.push(el('div', 'explain' + (bad ? ' bad-flow' : ''),
      el('div', 'cause', el('strong', null, 'Cause: '), d.explanation.cause),
      d.explanation.fix ? el('div', 'fix', el('strong', null, 'Fix: '), d.explanation.fix) : null));
    if (d.pattern) parts.push(el('div', 'pattern', el('strong', null, 'Pattern: '), d.pattern.cause, el('br'), el('strong', null, 'Fix: '), d.pattern.fix));
    if (d.sides) parts.push(...renderSides(d.sides));
    if (d.rewrite) parts.push(el('p', null, 'Rewritten ', el('code', null, d.rewrite.original), ' → ', el('code', null, d.rewrite.target), ` (${d.rewrite.destination}: ${d.rewrite.reason})`));
    if (d.query_params) parts.push(el('h3', null, 'Query parameters'), table(['name', 'value', ''], d.query_params.map((p) => [p.name, p.value, el('td', 'flag', p.flag)])));
    if (d.headers_that_matter) parts.push(el('h3', null, 'Headers that matter'), table(['header', 'value', 'meaning'], d.headers_that_matter.map((h) => [h.name, h.value === null ? '(not sent)' : h.value, h.note])));
    if (d.auth) parts.push(...renderAuth(d.auth));
    if (d.response) parts.push(el('h3', null, 'Response'), el('p', null, `${d.response.status} ${d.response.content_type} · ${d.response.body_size} bytes · ${d.response.duration_ms} ms`), el('pre', 'body', d.response.body || '(empty)'));
    if (d.upgrade) parts.push(el('h3', null, 'Upgraded'), el('p', null, `101 in room ${d.upgrade.room} as ${d.upgrade.user_id} via ${d.upgrade.source} · ${d.upgrade.duration_ms} ms`));
    if (d.frames_total) parts.push(...renderFrames(d));
    if (d.close) parts.push(el('h3', null, 'Close'), el('p', 'close', `${show(d.close.code)} by ${d.close.by}: ${d.close.meaning}${d.close.reason ? ' — reason: ' + d.close.reason : ''}`));
    parts.push(...renderActions(d));
    return parts;
  }
  // Both sides of a socket: the page probe's report beside nanodev's (or the Worker's) answer.
  function renderSides(s) {
    const c = s.page && s.page.construct;
    const page = el('div', 'page-side', el('strong', null, 'page: '), el('span', 'sentence', s.page_sentence));
    if (c && c.hint) page.append(el('div', 'muted hint', c.hint));
    if (c && c.frames.length) {
      const own = c.frames.filter((fr) => !/node_modules|__nanodev\/probe\.js/.test(fr.source || fr.url));
      const where = (fr) => fr.source ? `${fr.source}:${fr.source_line}` : `${fr.url.replace(/^https?:\/\/[^/]+/, '')}:${fr.line}:${fr.column + 1}`;
      const rows = own.slice(0, 8).map((fr) => [where(fr), fr.function || fr.name || '(anonymous)']);
      page.append(el('div', 'muted', `stack (${c.collapsed} library frame${c.collapsed === 1 ? '' : 's'} above collapsed)`), table(['where', 'function'], rows));
    }
    const ours = el('div', 'nanodev-side', el('strong', null, 'nanodev: '), s.nanodev);
    return [el('h3', null, 'Both sides'), el('div', 'side sides', page, ours)];
  }
  function renderAuth(a) {
    return [el('h3', null, 'Auth decision'),
      el('p', null, `${a.outcome}${a.status ? ' (' + a.status + ')' : ''} · user ${show(a.user_id)} · via ${show(a.source)} · room ${show(a.room)}`),
      table(['source', 'present', 'outcome', 'detail'], a.trace.map((s) => [s.source, s.present ? 'yes' : 'no', s.outcome, s.detail]))];
  }
  function renderFrames(d) {
    const rows = d.frames.map((fr) => [
      el('td', 'dir-' + fr.direction, fr.direction === 'in' ? '→ in' : '← out'), time(fr.ts),
      `${fr.size}${fr.truncated ? ' (truncated)' : ''}`, fr.opcode, el('td', null, el('pre', 'frame', fr.pretty || fr.text))]);
    const note = d.frames_total > d.frames.length ? ` (last ${d.frames.length} of ${d.frames_total})` : '';
    return [el('h3', null, `Frames${note}`), table(['dir', 'time', 'bytes', 'op', 'data'], rows)];
  }
  function renderActions(d) {
    const f = d.flow;
    const out = [el('h3', null, 'Actions')];
    const bar = el('div', 'actions');
    const shown = el('pre', 'command');
    shown.hidden = true;
    const copy = (text) => { shown.textContent = text; shown.hidden = false; if (navigator.clipboard) navigator.clipboard.writeText(text).catch(() => {}); };
    if (d.commands) {
      bar.append(button('Copy as curl', () => copy(d.commands.curl)));
      if (d.commands.websocat) bar.append(button('Copy as websocat', () => copy(d.commands.websocat)));
    }
    if (f.open && state.source === 'live') bar.append(button('Close socket', async () => { await post(`/api/flows/${f.id}/close`); state.detailDirty = true; }));
    out.push(bar, shown);
    if (f.upgrade && state.source === 'live') out.push(...renderReplay(f));
    return out;
  }
  function renderReplay(f) {
    const bar = el('div', 'actions', 'Re-handshake:');
    const room = el('input'); room.placeholder = 'another room'; room.size = 10; room.id = 'replay-room';
    const key = el('input'); key.placeholder = 'another key (nk_…)'; key.size = 16; key.id = 'replay-key';
    const result = el('div', 'replay-result');
    const run = (change, extra) => async () => {
      result.replaceChildren(el('p', 'muted', 'handshaking…'));
      const r = await post(`/api/flows/${f.id}/rehandshake`, { change, ...extra });
      state.replays[f.id] = r;
      result.replaceChildren(renderReplayResult(r));
    };
    bar.append(button('same', run('same')), button('no cookie', run('no_cookie')),
      room, button('with room', () => run('room', { room: room.value })()),
      key, button('with key', () => run('key', { key: key.value })()));
    if (state.replays[f.id]) result.replaceChildren(renderReplayResult(state.replays[f.id]));
    return [bar, result];
  }
  function renderReplayResult(r) {
    if (r.error && !r.replay) return el('p', 'flag', r.error);
    const side = (title, row) => el('div', null, el('strong', null, title),
      row ? el('p', null, `#${row.id} ${row.path}${row.query ? '?' + row.query : ''}`) : null,
      row ? el('p', null, `status ${show(row.status)} · ${row.outcome}`) : el('p', null, `status ${show(r.status)}`),
      row ? el('p', 'cause', row.explanation.cause) : null);
    return el('div', 'side', side('Original', r.original), side(`Re-handshake (${r.change})`, r.replay));
  }

  // -- rooms -----------------------------------------------------------------------------------
  async function refreshRooms() {
    state.roomsDirty = false;
    const data = await getJSON('/api/rooms');
    const rooms = data.rooms.map((room) => el('div', 'room-card', el('h2', null, `Room ${room.id}`),
      el('p', 'muted', `${room.state}` + (room.hibernated_at ? ` · slept ${time(room.hibernated_at)}` : '') + (room.woken_at ? ` · woke ${time(room.woken_at)}` : '')),
      room.state === 'awake' ? button('Hibernate now', () => post(`/api/rooms/${encodeURIComponent(room.id)}/hibernate`).then(refreshRooms)) : null,
      el('h3', null, `Sockets (${room.sockets.length})`),
      table(['flow', 'user', 'via', 'subscriptions', 'in/out', 'state'], room.sockets.map((s) => [`#${s.flow}`, s.user_id, s.source, s.subscriptions.join(', ') || '—', `${s.frames_in}/${s.frames_out}`, s.state])),
      el('h3', null, 'Tables'), table(['table', 'rows'], room.tables.map((t) => [t.name, t.rows])),
      el('h3', null, 'Recent broadcasts'),
      table(['time', 'what', 'table', 'action', 'bytes', 'received by', 'failed'], room.broadcasts.map((b) => [time(b.ts), b.what, show(b.table), show(b.action), b.size,
        b.recipients.map((r) => `${r.user_id} (#${r.flow})`).join(', ') || 'nobody', b.failed.map((r) => `#${r.flow}`).join(', ') || '—']))));
    $('rooms').replaceChildren(...(rooms.length ? rooms : [el('p', 'muted', 'No room is open.')]));
  }

  // -- live feed -------------------------------------------------------------------------------
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
    if (state.tab === 'flows' && state.detailDirty) refreshDetail();
    if (state.tab === 'rooms' && state.roomsDirty) refreshRooms();
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
  }
  async function importFile(file) {
    const text = await file.text();
    const response = await fetch(P + '/api/import', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: text });
    const r = await response.json();
    if (r.error) { $('import-text').textContent = r.error; $('import-banner').hidden = false; return; }
    state.source = 'import'; state.selected = null;
    $('import-text').textContent = `Viewing an imported session: ${r.imported} events, ${r.flows} flows.`;
    $('import-banner').hidden = false;
    $('detail').replaceChildren(el('p', 'muted', 'Select a request or socket.'));
    state.dirty = true;
  }
  async function leaveImport() {
    if (state.source === 'import') await post('/api/import/leave');
    state.source = 'live'; state.selected = null; state.dirty = true;
    $('import-banner').hidden = true;
  }

  $('pause').addEventListener('click', togglePause);
  $('clear').addEventListener('click', async () => { await post('/api/clear'); state.selected = null; $('detail').replaceChildren(); state.dirty = true; });
  $('import').addEventListener('change', (e) => { if (e.target.files.length) importFile(e.target.files[0]); });
  $('leave-import').addEventListener('click', leaveImport);
  $('tab-flows').addEventListener('click', () => switchTab('flows'));
  $('tab-rooms').addEventListener('click', () => switchTab('rooms'));
  $('filters').addEventListener('input', () => { refreshList(); });
  $('filters').addEventListener('submit', (e) => e.preventDefault());
  // A link to one flow (`/__nanodev/#flow=12`, as the demo and the page probe give): open it.
  const linked = /^#flow=(\d+)$/.exec(location.hash);
  if (linked) select(Number(linked[1]));
  connect();
  setInterval(tick, 300);
  tick();
})();
