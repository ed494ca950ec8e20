// The channel page: renders the channel the demo keeps (Block Kit, threads, ephemerals) from
// server-sent events, and sends commands and clicks back, which the demo signs for the bot.
'use strict';

const $ = (id) => document.getElementById(id);
let state = { messages: [], users: [], nodes: [], channel: { name: 'ops-demo' } };
const closedThreads = new Set();

function currentUser() {
  return $('user').value;
}

function usersById() {
  return Object.fromEntries(state.users.map((u) => [u.id, u]));
}

function el(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'html') node.innerHTML = v;
    else if (k === 'text') node.textContent = v;
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) node.setAttribute(k, v === true ? '' : v);
  }
  for (const c of [].concat(children)) if (c) node.append(c);
  return node;
}

function textHtml(t) {
  if (!t) return '';
  if (typeof t === 'string') return window.mrkdwn(t, usersById());
  return t.type === 'plain_text' ? window.plainText(t.text || '') : window.mrkdwn(t.text || '', usersById());
}

// ---- Block Kit ----

function renderBlock(block, message) {
  switch (block.type) {
    case 'header':
      return el('div', { class: 'bk-header', html: window.plainText(block.text ? block.text.text : '') });
    case 'section': {
      const section = el('div', { class: 'bk-section' });
      const body = el('div', { class: 'bk-section-body' });
      if (block.text) body.append(el('div', { class: 'bk-text', html: textHtml(block.text) }));
      if (block.fields && block.fields.length)
        body.append(
          el(
            'div',
            { class: 'bk-fields' },
            block.fields.map((f) => el('div', { class: 'bk-field', html: textHtml(f) })),
          ),
        );
      section.append(body);
      if (block.accessory)
        section.append(el('div', { class: 'bk-accessory' }, renderElement(block.accessory, block, message)));
      return section;
    }
    case 'context':
      return el(
        'div',
        { class: 'bk-context' },
        (block.elements || []).map((e) =>
          e.type === 'image'
            ? el('img', { src: e.image_url, alt: e.alt_text || '', class: 'bk-context-image' })
            : el('span', { html: textHtml(e) }),
        ),
      );
    case 'divider':
      return el('hr', { class: 'bk-divider' });
    case 'actions':
      return el(
        'div',
        { class: 'bk-actions' },
        (block.elements || []).map((e) => renderElement(e, block, message)),
      );
    case 'image':
      return el('figure', { class: 'bk-image' }, [
        block.title ? el('figcaption', { html: textHtml(block.title) }) : null,
        el('img', { src: block.image_url, alt: block.alt_text || '' }),
      ]);
    case 'rich_text':
      return el('div', { class: 'bk-text', html: window.escapeText(richText(block)) });
    default:
      return el('div', {
        class: 'bk-unknown',
        text: `[${block.type || 'untyped'} block: not shown by this page; "copy as Block Kit JSON" has it]`,
      });
  }
}

function richText(block) {
  const walk = (n) => (n.text ? n.text : (n.elements || []).map(walk).join(''));
  return walk(block);
}

function renderElement(e, block, message) {
  if (e.type === 'image')
    return el('img', { src: e.image_url, alt: e.alt_text || '', class: 'bk-accessory-image' });
  if (e.type !== 'button') return el('span', { class: 'bk-unknown', text: `[${e.type} element]` });
  const button = el('button', {
    class: `btn ${e.style || ''}`,
    type: 'button',
    'data-action': e.action_id,
    html: window.plainText(e.text ? e.text.text : ''),
  });
  button.addEventListener('click', () => {
    if (e.url) window.open(e.url, '_blank', 'noopener');
    const send = () => click(message.id, block.block_id, e.action_id, button);
    if (e.confirm) openConfirm(e.confirm, send);
    else send();
  });
  return button;
}

async function click(messageId, blockId, actionId, button) {
  button.classList.add('busy');
  try {
    const res = await post('/click', {
      user: currentUser(),
      message: messageId,
      block: blockId,
      action: actionId,
    });
    if (res.status !== 200) flash(`The bot answered the click with HTTP ${res.status || 'nothing'}`);
  } finally {
    button.classList.remove('busy');
  }
}

// ---- confirm dialog ----

let confirmAction = null;

function openConfirm(confirm, onConfirm) {
  $('dialog-title').innerHTML = window.plainText(confirm.title ? confirm.title.text : 'Are you sure?');
  $('dialog-text').innerHTML = textHtml(confirm.text);
  $('dialog-confirm').innerHTML = window.plainText(confirm.confirm ? confirm.confirm.text : 'Yes');
  $('dialog-deny').innerHTML = window.plainText(confirm.deny ? confirm.deny.text : 'Cancel');
  $('dialog-confirm').className = `btn ${confirm.style === 'danger' ? 'danger' : 'primary'}`;
  confirmAction = onConfirm;
  $('dialog').hidden = false;
  $('dialog-confirm').focus();
}

function closeConfirm() {
  $('dialog').hidden = true;
  confirmAction = null;
}

$('dialog-deny').addEventListener('click', closeConfirm);
$('dialog-confirm').addEventListener('click', () => {
  const run = confirmAction;
  closeConfirm();
  if (run) run();
});
document.addEventListener('keydown', (ev) => {
  if (ev.key === 'Escape' && !$('dialog').hidden) closeConfirm();
});

// ---- messages ----

function time(ms) {
  return new Date(ms).toLocaleTimeString(undefined, {
    hour: 'numeric',
    minute: '2-digit',
    second: '2-digit',
  });
}

function renderUpload(u) {
  if (u.image) {
    return el('details', { class: 'file', open: true }, [
      el('summary', {}, [
        el('span', { class: 'file-icon', text: '🖼' }),
        el('span', { class: 'file-title', text: u.title || u.filename }),
        el('span', { class: 'file-meta', text: `${u.filename} · ${u.bytes.toLocaleString('en-US')} bytes` }),
      ]),
      el('img', { class: 'file-image', src: u.image, alt: u.title || u.filename }),
    ]);
  }
  const lines = u.content.replace(/\n$/, '').split('\n');
  return el('details', { class: 'file', open: true }, [
    el('summary', {}, [
      el('span', { class: 'file-icon', text: '📄' }),
      el('span', { class: 'file-title', text: u.title || u.filename }),
      el('span', { class: 'file-meta', text: `${u.filename} · ${lines.length} lines` }),
    ]),
    el('pre', { class: 'code-block', text: u.content }),
  ]);
}

function copyJson(m, link) {
  const json = JSON.stringify({ blocks: m.blocks }, null, 2);
  const done = () => {
    link.textContent = 'copied: paste it into Block Kit Builder';
    setTimeout(() => (link.textContent = 'copy as Block Kit JSON'), 2500);
  };
  if (navigator.clipboard && window.isSecureContext)
    navigator.clipboard.writeText(json).then(done, () => fallbackCopy(json, done));
  else fallbackCopy(json, done);
}

function fallbackCopy(text, done) {
  const area = el('textarea', { class: 'offscreen' });
  area.value = text;
  document.body.append(area);
  area.select();
  document.execCommand('copy');
  area.remove();
  done();
}

function renderMessage(m, replies) {
  const users = usersById();
  const me = currentUser();
  const ephemeral = Boolean(m.ephemeralTo);
  const node = el('article', {
    class: `message${ephemeral ? ' ephemeral' : ''}`,
    'data-id': m.id,
    'data-via': m.via,
  });
  const copy = el('a', { href: '#', class: 'copy-json', text: 'copy as Block Kit JSON' });
  copy.addEventListener('click', (ev) => {
    ev.preventDefault();
    copyJson(m, copy);
  });
  const meta = el('div', { class: 'meta' }, [
    el('span', { class: 'author', text: m.via === 'Slack' ? 'Slackbot' : 'rancher-doctor' }),
    m.via === 'Slack' ? null : el('span', { class: 'app-badge', text: 'APP' }),
    el('span', { class: 'time', text: time(m.at) }),
    m.updates
      ? el('span', {
          class: 'edited',
          title: `chat.update ${m.updates}×, last at ${time(m.updatedAt)}`,
          text: '(edited)',
        })
      : null,
    m.blocks.length ? copy : null,
  ]);
  const content = el('div', { class: 'content' });
  if (ephemeral) {
    const who =
      m.ephemeralTo === me ? 'you' : users[m.ephemeralTo] ? users[m.ephemeralTo].name : m.ephemeralTo;
    content.append(
      el('div', { class: 'only-you' }, [
        el('span', { text: `Only visible to ${who}` }),
        m.command ? el('code', { class: 'typed', text: m.command }) : null,
      ]),
    );
  }
  if (m.blocks.length) for (const b of m.blocks) content.append(renderBlock(b, m));
  else if (m.text) content.append(el('div', { class: 'bk-text', html: window.mrkdwn(m.text, users) }));
  for (const u of m.uploads) content.append(renderUpload(u));
  node.append(
    el('div', {
      class: `avatar${m.via === 'Slack' ? ' slackbot' : ''}`,
      text: m.via === 'Slack' ? 'S' : 'RD',
    }),
    el('div', { class: 'body' }, [meta, content]),
  );
  if (replies.length) {
    const open = !closedThreads.has(m.id);
    const toggle = el('button', {
      type: 'button',
      class: 'thread-toggle',
      text: `${replies.length} ${replies.length === 1 ? 'reply' : 'replies'}${open ? '' : ' (show)'}`,
    });
    toggle.addEventListener('click', () => {
      if (closedThreads.has(m.id)) closedThreads.delete(m.id);
      else closedThreads.add(m.id);
      render();
    });
    const thread = el('div', { class: 'thread' }, open ? replies.map((r) => renderMessage(r, [])) : []);
    node.querySelector('.body').append(toggle, thread);
  }
  return node;
}

function render() {
  const box = $('messages');
  const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
  const all = state.messages;
  const ids = new Set(all.map((m) => m.id));
  const top = all.filter((m) => !m.threadTs || !ids.has(m.threadTs));
  box.replaceChildren(
    ...(top.length
      ? top.map((m) =>
          renderMessage(
            m,
            all.filter((r) => r.threadTs === m.id),
          ),
        )
      : [
          el('p', {
            class: 'empty',
            html: 'No messages yet. Type <code>/rancher diagnose --watch 5s</code> below, or <code>/rancher help</code>.',
          }),
        ]),
  );
  if (atBottom) box.scrollTop = box.scrollHeight;
  renderNodes();
}

function renderNodes() {
  $('nodes').replaceChildren(
    ...state.nodes.map((n) =>
      el('li', { class: n.looping ? 'looping' : 'calm' }, [
        el('span', { class: 'dot', text: n.looping ? '●' : '○' }),
        el('span', { class: 'node-name', text: `${n.cluster}/${n.node}` }),
        el('span', {
          class: 'node-state',
          text: n.looping
            ? `rewritten in a loop · ${n.writes} writes`
            : n.writes
              ? `loop stopped · ${n.writes} writes`
              : 'quiet',
        }),
      ]),
    ),
  );
}

function flash(text) {
  const note = el('div', { class: 'flash', text });
  document.body.append(note);
  setTimeout(() => note.remove(), 4000);
}

async function post(path, body) {
  try {
    const res = await fetch(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return await res.json();
  } catch {
    return { status: 0 };
  }
}

// ---- composer and live state ----

$('composer').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const text = $('command').value.trim();
  if (!text) return;
  $('command').value = '';
  const res = await post('/command', { user: currentUser(), text });
  if (res.status !== 200 && res.status !== 0) flash(`The bot answered HTTP ${res.status}`);
});

$('user').addEventListener('change', render);

function fillUsers() {
  if ($('user').options.length) return;
  for (const u of state.users)
    $('user').append(
      el('option', { value: u.id, text: `${u.name} (${u.approver ? 'approver' : 'not an approver'})` }),
    );
}

function connect() {
  const events = new EventSource('/events');
  events.addEventListener('state', (ev) => {
    state = JSON.parse(ev.data);
    fillUsers();
    render();
    $('connection').textContent = 'live';
    $('connection').className = 'connection live';
  });
  events.addEventListener('error', () => {
    $('connection').textContent = 'the demo is not answering (stopped?)';
    $('connection').className = 'connection down';
  });
}

connect();
