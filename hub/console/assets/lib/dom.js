// DOM helpers for the console's pages. No framework: h() builds elements, the rest are
// small patterns every page uses. Inline style attributes are refused by the
// Content-Security-Policy (style-src 'self'): use classes from style.css, or el.style.prop
// from script (CSSOM), which CSP allows.

// h(tag, attrs, ...children) creates an element. attrs: class (string or array), on* (a
// function: addEventListener), dataset keys as data-*, boolean true → empty attribute,
// false/null/undefined → left out. children: strings (text, never HTML), nodes, arrays,
// null/false (skipped).
export function h(tag, attrs, ...children) {
  const el = tag.startsWith('svg:')
    ? document.createElementNS('http://www.w3.org/2000/svg', tag.slice(4))
    : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === false || v === null || v === undefined) continue;
    if (k === 'style') throw new Error('h(): no style attribute (CSP); use a class');
    if (k.startsWith('on') && typeof v === 'function') {
      el.addEventListener(k.slice(2).toLowerCase(), v);
    } else if (k === 'class') {
      el.setAttribute('class', Array.isArray(v) ? v.filter(Boolean).join(' ') : v);
    } else if (k === 'value' && 'value' in el) {
      el.value = v;
    } else if (k === 'checked' || k === 'disabled' || k === 'selected') {
      el[k] = !!v;
      if (v) el.setAttribute(k, '');
    } else {
      el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

// clear removes every child of el (and returns it).
export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

// replace puts children in el instead of what it had.
export function replace(el, ...children) {
  clear(el);
  append(el, children);
  return el;
}

let uid = 0;
// id returns a unique element id with prefix (for label for= and aria-describedby).
export function id(prefix = 'f') { return `${prefix}-${++uid}`; }

// field is a labelled form control: field('Name', h('input', {name: 'name', required: true}), 'hint').
export function field(label, control, hint) {
  const cid = control.id || (control.id = id('f'));
  const kids = [h('label', { for: cid }, label), control];
  if (hint) {
    const hid = id('hint');
    control.setAttribute('aria-describedby', hid);
    kids.push(h('p', { id: hid, class: 'hint' }, hint));
  }
  return h('div', { class: 'field' }, kids);
}

// select builds a <select> from [value, label] pairs (or plain strings).
export function select(attrs, options, current) {
  return h('select', attrs, options.map((o) => {
    const [v, l] = Array.isArray(o) ? o : [o, o];
    return h('option', { value: v, selected: v === current }, l);
  }));
}

// button: h('button', {type: 'button', class: 'btn …'}) with onclick. A write control
// must pass perm: it is then marked data-write (the viewer tests look for these) — and a
// page must not build it at all when the caller lacks the permission (ctx.can).
export function button(label, onclick, { kind = '', perm = '', type = 'button', ...attrs } = {}) {
  return h('button', { type, class: ['btn', kind], onclick, 'data-write': perm || null, ...attrs }, label);
}

// table renders rows as a data table. columns: [{label, cell: (row) => node|string, class?}].
// empty: the text shown without rows. caption: the table's accessible name.
export function table(columns, rows, { empty = 'Nothing here yet.', caption } = {}) {
  if (!rows || rows.length === 0) return h('p', { class: 'empty' }, empty);
  return h('div', { class: 'table-wrap', tabindex: 0, role: 'region', 'aria-label': caption || 'table' },
    h('table', { class: 'data' },
      caption ? h('caption', { class: 'sr-only' }, caption) : null,
      h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col', class: c.class }, c.label)))),
      h('tbody', {}, rows.map((r) => h('tr', {}, columns.map((c) => h('td', { class: c.class, 'data-label': c.label }, c.cell(r))))))));
}

// badge: a short state word with a colour: kind ok | warn | bad | muted | info.
export function badge(text, kind = 'muted') { return h('span', { class: `badge ${kind}` }, text); }

// card: a titled panel. section: a titled block of a page (h2).
export function card(title, ...body) {
  const hid = id('card');
  return h('section', { class: 'card', 'aria-labelledby': hid }, h('h2', { id: hid }, title), body);
}

// stat: a big number with a label, for the overview.
export function stat(label, value, kind = '') {
  return h('div', { class: ['stat', kind] }, h('div', { class: 'stat-value' }, String(value)), h('div', { class: 'stat-label' }, label));
}

// secret shows a value once with a copy button (keys). The caller says it is shown once.
export function secret(value, label = 'Secret') {
  const code = h('code', { class: 'secret', tabindex: 0 }, value);
  const copy = button('Copy', async () => {
    try { await navigator.clipboard.writeText(value); copy.textContent = 'Copied'; } catch { selectText(code); }
  }, { kind: 'small', 'aria-label': `Copy ${label}` });
  return h('div', { class: 'secret-row' }, code, copy);
}

// pre: a preformatted block (config snippets, commands) with a copy button.
export function snippet(text, label = 'snippet') {
  const pre = h('pre', { class: 'snippet', tabindex: 0 }, text);
  const copy = button('Copy', async () => {
    try { await navigator.clipboard.writeText(text); copy.textContent = 'Copied'; } catch { selectText(pre); }
  }, { kind: 'small', 'aria-label': `Copy ${label}` });
  return h('div', { class: 'snippet-wrap' }, copy, pre);
}

function selectText(el) {
  const r = document.createRange();
  r.selectNodeContents(el);
  const s = window.getSelection();
  s.removeAllRanges();
  s.addRange(r);
}

// modal opens a <dialog> with a title and body; returns {dialog, close}. Escape closes
// it and focus returns to where it was.
export function modal(title, ...body) {
  const back = document.activeElement;
  const tid = id('dlg');
  const d = h('dialog', { class: 'modal', 'aria-labelledby': tid },
    h('div', { class: 'modal-head' }, h('h2', { id: tid }, title),
      button('Close', () => close(), { kind: 'small ghost', 'aria-label': 'Close dialog' })),
    h('div', { class: 'modal-body' }, body));
  function close() { d.close(); }
  d.addEventListener('close', () => { d.remove(); if (back && back.focus) back.focus(); });
  document.body.append(d);
  d.showModal();
  return { dialog: d, close };
}

// confirmDialog asks a yes/no question; resolves true on confirm.
export function confirmDialog(title, text, confirmLabel = 'Confirm', kind = 'danger') {
  return new Promise((resolve) => {
    let answer = false;
    const m = modal(title, h('p', {}, text), h('div', { class: 'actions' },
      button('Cancel', () => m.close()),
      button(confirmLabel, () => { answer = true; m.close(); }, { kind })));
    m.dialog.addEventListener('close', () => resolve(answer));
  });
}

// formData reads a form's named controls into an object (checkboxes as booleans, empty
// strings left out).
export function formData(form) {
  const out = {};
  for (const el of form.elements) {
    if (!el.name) continue;
    if (el.type === 'checkbox') out[el.name] = el.checked;
    else if (el.value !== '') out[el.name] = el.value;
  }
  return out;
}

// time formats an ISO time as local date and time; ago as "5 s ago"/"3 min ago".
export function time(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return isNaN(d) || d.getFullYear() < 2000 ? '—' : d.toLocaleString();
}

export function ago(iso, now = Date.now()) {
  if (!iso) return 'never';
  const d = new Date(iso);
  if (isNaN(d) || d.getFullYear() < 2000) return 'never';
  const s = Math.max(0, Math.round((now - d.getTime()) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}
