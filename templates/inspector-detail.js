// nanodev inspector: one flow's detail — explanation, request facts, auth trace, response,
// frames, the socket's timeline and its page session, actions, and the replay editor.
// Text reaches the page only through textContent (see inspector.js).
'use strict';
(() => {
  const { $, el, button, table, time, show, who, post, getJSON, state } = window.NI;

  function renderDetail(d) {
    const f = d.flow;
    const parts = [el('h2', null, `#${f.id} ${d.request_line || f.method + ' ' + f.path}`)];
    const bad = (f.status !== null && f.status >= 400) || f.outcome === 'refused' || f.outcome === 'error';
    parts.push(el('div', 'explain' + (bad ? ' bad-flow' : ''),
      el('div', 'cause', el('strong', null, 'Cause: '), d.explanation.cause),
      d.explanation.fix ? el('div', 'fix', el('strong', null, 'Fix: '), d.explanation.fix) : null));
    if (d.pattern) parts.push(el('div', 'pattern', el('strong', null, 'Pattern: '), d.pattern.cause, el('br'), el('strong', null, 'Fix: '), d.pattern.fix));
    if (d.sides) parts.push(...renderSides(d.sides));
    if (d.timeline && d.timeline.marks.length) parts.push(...renderTimeline(d.timeline));
    if (d.page_session && d.page_session.attempts.length > 1) parts.push(...renderSession(d.page_session, f.id));
    if (d.rewrite) parts.push(el('p', null, 'Rewritten ', el('code', null, d.rewrite.original), ' → ', el('code', null, d.rewrite.target), ` (${d.rewrite.destination}: ${d.rewrite.reason})`));
    if (d.query_params) parts.push(el('h3', null, 'Query parameters'), table(['name', 'value', ''], d.query_params.map((p) => [p.name, p.value, el('td', 'flag', p.flag)])));
    if (d.headers_that_matter) parts.push(el('h3', null, 'Headers that matter'), table(['header', 'value', 'meaning'], d.headers_that_matter.map((h) => [h.name, h.value === null ? '(not sent)' : h.value, h.note])));
    if (d.auth) parts.push(...renderAuth(d.auth, f));
    if (d.response) parts.push(el('h3', null, 'Response'), el('p', null, `${d.response.status} ${d.response.content_type} · ${d.response.body_size} bytes · ${d.response.duration_ms} ms`), el('pre', 'body', d.response.body || '(empty)'));
    if (d.upgrade) parts.push(el('h3', null, 'Upgraded'), el('p', null, `101 in room ${d.upgrade.room} as ${who(f)} via ${d.upgrade.source} · ${d.upgrade.duration_ms} ms`));
    if (d.notes && d.notes.length) parts.push(el('h3', null, 'Notes'), ...d.notes.map((n) => el('p', n.level === 'warning' ? 'pattern' : null, n.message)));
    if (d.frames_total) parts.push(...renderFrames(d));
    if (d.close) parts.push(el('h3', null, 'Close'), el('p', 'close', `${show(d.close.code)} by ${d.close.by}: ${d.close.meaning}${d.close.reason ? ' — reason: ' + d.close.reason : ''}`));
    parts.push(...renderActions(d));
    return parts;
  }
  function renderAuth(a, f) {
    return [el('h3', null, 'Auth decision'),
      el('p', null, `${a.outcome}${a.status ? ' (' + a.status + ')' : ''} · user ${a.user_id ? who(f) : '—'} · via ${show(a.source)} · room ${show(a.room)}`),
      table(['source', 'present', 'outcome', 'detail'], a.trace.map((s) => [s.source, s.present ? 'yes' : 'no', s.outcome, s.detail]))];
  }
  const FRAMES_SHOWN = 100;  // a busy socket's 500 recorded frames cost a long redraw; ask for more
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
  function renderFrames(d) {
    const body = el('tbody');
    const draw = (frames) => body.replaceChildren(...frames.map((fr) => el('tr', null,
      el('td', 'dir-' + fr.direction, fr.direction === 'in' ? '→ in' : '← out'), el('td', null, time(fr.ts)),
      el('td', null, `${fr.size}${fr.truncated ? ' (truncated)' : ''}`), el('td', null, fr.opcode),
      el('td', null, el('pre', 'frame', fr.pretty || fr.text),
        ...(fr.explanation ? [el('div', 'pattern frame-note', el('strong', null, 'Why: '), fr.explanation.cause, el('br'), el('strong', null, 'Fix: '), fr.explanation.fix)] : [])))));
    draw(d.frames.slice(-FRAMES_SHOWN));
    const note = d.frames_total > d.frames.length ? ` (last ${d.frames.length} of ${d.frames_total})` : '';
    const t = table(['dir', 'time', 'bytes', 'op', 'data'], []);
    t.replaceChild(body, t.querySelector('tbody'));
    const more = d.frames.length > FRAMES_SHOWN
      ? button(`Show all ${d.frames.length} recorded frames`, (e) => { draw(d.frames); e.target.remove(); }) : null;
    return [el('h3', null, `Frames${note}`), more, t];
  }

  // -- timeline: the socket's life on one axis -------------------------------------------------
  function renderTimeline(t) {
    const span = Math.max(1, (t.end - t.start) * 1000);
    const axis = el('div', 'timeline');
    const counts = {};
    const drawn = new Set();  // one mark per kind and 0.2 % of the axis: a busy socket stays light
    for (const m of t.marks) {
      counts[m.kind] = (counts[m.kind] || 0) + 1;
      const slot = `${m.kind}:${Math.round((m.t_ms / span) * 500)}`;
      if (drawn.has(slot)) continue;
      drawn.add(slot);
      const mark = el('span', 'mark mark-' + m.kind);
      mark.style.left = `${(m.t_ms / span) * 100}%`;
      mark.title = `+${m.t_ms} ms · ${m.label}`;
      axis.append(mark);
    }
    const legend = el('div', 'legend', ...Object.entries(counts).map(([kind, n]) => el('span', 'key mark-' + kind, `${kind} ${n}`)));
    const note = t.total > t.marks.length ? ` (first and last ${t.marks.length} of ${t.total} marks)` : '';
    return [el('h3', null, `Timeline · ${(span / 1000).toFixed(3)} s${note}`), axis,
      el('div', 'axis-labels', el('span', null, time(t.start)), el('span', null, time(t.end))), legend];
  }
  function renderSession(s, current) {
    const rows = s.attempts.map((a) => [
      el('td', a.flow === current ? 'current' : null, `#${a.flow}`), time(a.ts),
      a.backoff_ms === null ? '—' : `+${(a.backoff_ms / 1000).toFixed(2)} s`,
      show(a.status), a.open ? 'open' : show(a.close_code), show(a.room)]);
    const out = [el('h3', null, `This page's connections (${s.attempts.length})`)];
    if (s.loop) {
      const backoffs = s.attempts.slice(1).map((a) => `${(a.backoff_ms / 1000).toFixed(1)} s`).join(' → ');
      out.push(el('div', 'pattern loop', el('strong', null, 'Reconnect loop: '), `${s.attempts.length} attempts, none kept open; backoff ${backoffs}`));
    }
    out.push(table(['flow', 'time', 'backoff', 'status', 'close', 'room'], rows));
    return out;
  }

  // -- actions ---------------------------------------------------------------------------------
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
    if (f.upgrade && state.source === 'live') bar.append(button('Edit and re-run', () => openEditor(f.id)));
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

  // -- the editor: the handshake as a form; secrets stay fingerprints --------------------------
  async function openEditor(flowId) {
    const box = $('detail-editor');
    box.replaceChildren(el('p', 'muted', 'loading the handshake…'));
    const form = await getJSON(`/api/flows/${flowId}/form`);
    if (form.error) { box.replaceChildren(el('p', 'flag', form.error)); return; }
    box.replaceChildren(NI.editorForm(flowId, form, (body) => runEdit(flowId, body)));
    box.scrollIntoView({ block: 'start' });
  }
  async function runEdit(flowId, body) {
    const out = $('edit-result');
    out.replaceChildren(el('p', 'muted', 'handshaking…'));
    const r = await post(`/api/flows/${flowId}/replay`, body);
    out.replaceChildren(r.error && !r.replay ? el('p', 'flag', r.error) : sideBySide(r));
    out.scrollIntoView({ block: 'nearest' });
  }
  function sideBySide(r) {
    return el('div', 'side', outcome('Original', r.original, null), outcome('Edited re-run', r.replay, r));
  }
  function outcome(title, d, r) {
    if (!d) return el('div', 'outcome-card', el('strong', null, title), el('p', null, `status ${show(r && r.status)}`), r && r.error ? el('p', 'flag', r.error) : null);
    const f = d.flow;
    const close = d.close ? d.close.code : (r ? r.close_code : null);
    const frames = d.frames.slice(0, 8).map((fr) => el('pre', 'frame dir-' + fr.direction, `${fr.direction === 'in' ? '→' : '←'} ${fr.text}`));
    return el('div', 'outcome-card', el('strong', null, `${title} · #${f.id}`),
      el('p', 'status-line ' + NI.statusClass(f.status), `status ${show(f.status)} · ${f.outcome}${close !== null && close !== undefined ? ' · close ' + close : ''}`),
      el('p', null, d.request_line || f.path),
      el('p', 'cause', d.explanation.cause),
      d.response ? el('pre', 'body', d.response.body || '(empty body)') : null,
      ...frames);
  }

  Object.assign(window.NI, { renderDetail, openEditor });
})();
