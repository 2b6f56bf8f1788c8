// nanodev inspector: the Rooms tab — sockets, tables, broadcasts and a
// browser of each table's rows. Text reaches the page only through textContent.
'use strict';
(() => {
  const { $, el, button, table, time, show, who, post, getJSON, state } = window.NI;

  // -- rooms -----------------------------------------------------------------------------------
  async function refreshRooms() {
    state.roomsDirty = false;
    const data = await getJSON('/api/rooms');
    const rooms = data.rooms.map((room) => el('div', 'room-card', el('h2', null, `Room ${room.id}`),
      el('p', 'muted', `${room.state}` + (room.hibernated_at ? ` · slept ${time(room.hibernated_at)}` : '') + (room.woken_at ? ` · woke ${time(room.woken_at)}` : '')),
      room.state === 'awake' ? button('Hibernate now', () => post(`/api/rooms/${encodeURIComponent(room.id)}/hibernate`).then(refreshRooms)) : null,
      el('h3', null, `Sockets (${room.sockets.length})`),
      table(['flow', 'user', 'via', 'subscriptions', 'in/out', 'state'], room.sockets.map((s) => [`#${s.flow}`, who(s), s.source, s.subscriptions.join(', ') || '—', `${s.frames_in}/${s.frames_out}`, s.state])),
      el('h3', null, 'Tables'),
      table(['table', 'rows', ''], room.tables.map((t) => [t.name, t.rows, el('td', null, button('Browse', () => browse(room.id, t.name, 0, '', true)))])),
      el('h3', null, 'Recent broadcasts'),
      table(['time', 'what', 'table', 'action', 'bytes', 'received by', 'failed'], room.broadcasts.map((b) => [time(b.ts), b.what, show(b.table), show(b.action), b.size,
        b.recipients.map((r) => `${who(r)} (#${r.flow})`).join(', ') || 'nobody', b.failed.map((r) => `#${r.flow}`).join(', ') || '—']))));
    $('rooms').replaceChildren(...(rooms.length ? rooms : [el('p', 'muted', 'No room is open.')]));
  }

  // -- one table's rows: pages, sorting, schema, and where each row's last change came from ----
  async function browse(room, tableName, page, sort, desc) {
    const q = new URLSearchParams({ page: String(page), sort, desc: desc ? '1' : '0' });
    const d = await getJSON(`/api/rooms/${encodeURIComponent(room)}/tables/${encodeURIComponent(tableName)}?${q}`);
    const box = $('table-browser');
    if (d.error) { box.replaceChildren(el('p', 'flag', d.error)); return; }
    const again = (p, s, ds) => () => browse(room, tableName, p, s, ds);
    const heads = d.columns.map((c) => {
      const arrow = d.sort === c ? (d.desc ? ' ▼' : ' ▲') : '';
      const th = el('th', 'sortable', c + arrow);
      th.addEventListener('click', again(0, c, d.sort === c ? !d.desc : true));
      return th;
    });
    const rows = d.rows.map((r) => [...d.columns.map((c) => show(r[c])), el('td', 'change', ...changeOf(r.__change))]);
    const pager = el('div', 'actions pager',
      button('◀ Newer', again(Math.max(0, d.page - 1), d.sort, d.desc)),
      el('span', 'page-of', `page ${d.page + 1} of ${d.pages} · ${d.total} rows · ${d.sort ? 'by ' + d.sort : 'newest first'}`),
      button('Older ▶', again(Math.min(d.pages - 1, d.page + 1), d.sort, d.desc)));
    pager.children[0].disabled = d.page === 0;
    pager.children[2].disabled = d.page >= d.pages - 1;
    box.replaceChildren(el('div', 'room-card',
      el('h2', null, `${d.table} in room ${d.room}`),
      el('h3', null, 'Schema'),
      table(['column', 'type', 'not null', 'default', 'key', ''], d.schema.map((c) => [c.name, show(c.type), c.notnull ? 'yes' : '', show(c.default), c.pk ? 'primary' : '', c.secret ? 'shown as fingerprints' : ''])),
      el('h3', null, 'Rows'), pager, table([...heads, el('th', null, 'last change')], rows)));
    box.scrollIntoView({ block: 'start' });
  }
  function changeOf(change) {
    if (!change) return ['—'];
    const out = [`${change.action} ${time(change.ts)} `];
    if (change.cause) {
      const link = el('a', 'flow-link', `a frame of socket #${change.cause.flow}`);
      link.href = '#'; link.title = change.cause.text;
      link.addEventListener('click', (e) => { e.preventDefault(); NI.switchTab('flows'); NI.select(change.cause.flow); });
      out.push('from ', link, ' ');
    }
    out.push(`· broadcast to ${change.broadcast.recipients.length} socket(s)`);
    return out;
  }

  Object.assign(window.NI, { refreshRooms, browse });
})();
