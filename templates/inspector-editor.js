// nanodev inspector: the replay editor's form — method, path, every query parameter, headers,
// credentials picked by name and the first frames. Secrets appear only as fingerprints.
'use strict';
(() => {
  const { $, el, button } = window.NI;

  // -- the replay editor's form ----------------------------------------------------------------
  function pairRow(list, item, secret) {
    const name = el('input', 'pair-name'); name.defaultValue = item.name; name.size = 14;
    const value = el('input', 'pair-value'); value.value = item.value || ''; value.size = 28;
    if (secret) value.title = 'a fingerprint: leave it to send the original secret, or paste another value';
    const row = el('div', 'pair', name, value, secret ? el('span', 'muted', 'fingerprint') : null,
      button('×', () => row.remove()));
    list.append(row);
  }
  function pairs(list) {
    return [...list.querySelectorAll('.pair')].map((r) => ({ name: r.querySelector('.pair-name').value, value: r.querySelector('.pair-value').value }));
  }
  function picker(id, label, options) {
    const select = el('select'); select.id = id;
    select.append(el('option', null, '(as recorded)'));
    select.options[0].value = '';
    for (const o of options) { const opt = el('option', null, `${o.label} (${o.fingerprint})`); opt.value = o.ref; select.append(opt); }
    return el('label', null, label + ' ', select);
  }
  function editorForm(flowId, form, submit) {
    const method = el('input'); method.id = 'edit-method'; method.value = form.method; method.size = 6;
    const path = el('input'); path.id = 'edit-path'; path.value = form.path; path.size = 30;
    const params = el('div', 'pairs'); params.id = 'edit-params';
    for (const p of form.params) pairRow(params, p, p.secret);
    const headers = el('div', 'pairs'); headers.id = 'edit-headers';
    for (const h of form.headers) if (h.sent || !h.secret) pairRow(headers, h, h.secret && h.sent);
    const frames = el('div', 'frames'); frames.id = 'edit-frames';
    const addFrame = (text) => { const t = el('textarea'); t.rows = 2; t.value = text; frames.append(t); };
    for (const text of form.frames) addFrame(text);
    if (!form.frames.length) addFrame('');
    const pasted = el('input'); pasted.id = 'edit-pasted-key'; pasted.type = 'password'; pasted.autocomplete = 'off'; pasted.placeholder = 'nk_… (used once, never stored)';
    const run = () => submit({
      method: method.value, path: path.value, params: pairs(params), headers: pairs(headers),
      frames: [...frames.querySelectorAll('textarea')].map((t) => t.value),
      key_ref: $('edit-key').value, session_ref: $('edit-session').value, pasted_key: pasted.value,
    });
    const runButton = button('Run edited handshake', run); runButton.id = 'edit-run';
    return el('div', 'editor',
      el('h3', null, `Edit and re-run #${flowId}`),
      el('div', 'actions', el('label', null, 'Method ', method), el('label', null, 'Path ', path)),
      el('h4', null, 'Query parameters'), params, button('+ parameter', () => pairRow(params, { name: '', value: '' }, false)),
      el('h4', null, 'Headers'), headers, button('+ header', () => pairRow(headers, { name: '', value: '' }, false)),
      el('h4', null, 'Credentials'),
      el('div', 'actions', picker('edit-key', 'Key', form.credentials.keys), picker('edit-session', 'Session', form.credentials.sessions),
        el('label', null, 'or paste a key ', pasted)),
      el('h4', null, 'Frames to send after the upgrade'), frames, button('+ frame', () => addFrame('')),
      el('div', 'actions', runButton),
      (() => { const r = el('div', 'edit-result'); r.id = 'edit-result'; return r; })());
  }

  Object.assign(window.NI, { editorForm });
})();
