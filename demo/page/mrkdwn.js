// Slack's mrkdwn as HTML: text arrives escaped as Slack escapes it (&amp; &lt; &gt;), so a raw
// "<" opens a link, a mention or a date; everything else is escaped again before it is shown.
'use strict';

const EMOJI = {
  warning: '⚠️',
  white_check_mark: '✅',
  x: '❌',
  arrow_forward: '▶️',
  lock: '🔒',
  white_small_square: '▫️',
  hourglass_flowing_sand: '⏳',
  hourglass: '⌛',
  grey_question: '❔',
  arrows_counterclockwise: '🔄',
  rotating_light: '🚨',
  repeat: '🔁',
  no_entry: '⛔',
  no_bell: '🔕',
  memo: '📝',
  mag: '🔍',
  key: '🔑',
  information_source: 'ℹ️',
  heavy_check_mark: '✔️',
  large_green_circle: '🟢',
  red_circle: '🔴',
  large_yellow_circle: '🟡',
  stopwatch: '⏱️',
  wrench: '🔧',
  broom: '🧹',
  fire: '🔥',
  eyes: '👀',
  tada: '🎉',
  bulb: '💡',
  clock1: '🕐',
};

/** Escapes what is not an entity Slack already wrote. */
function escapeText(s) {
  return s
    .replace(/&(?!(amp|lt|gt|quot|#\d+);)/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

function unescapeEntities(s) {
  return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

const ORDINAL = (n) => {
  const s = ['th', 'st', 'nd', 'rd'];
  const v = n % 100;
  return n + (s[(v - 20) % 10] || s[v] || s[0]);
};

/** Slack's <!date^seconds^format^link|fallback>, in the reader's own time zone as Slack shows it. */
function formatDate(seconds, format) {
  const d = new Date(seconds * 1000);
  const today = new Date();
  const yesterday = new Date(today.getTime() - 86400000);
  const tomorrow = new Date(today.getTime() + 86400000);
  const sameDay = (a, b) => a.toDateString() === b.toDateString();
  const pretty = (fallback) =>
    sameDay(d, today)
      ? 'Today'
      : sameDay(d, yesterday)
        ? 'Yesterday'
        : sameDay(d, tomorrow)
          ? 'Tomorrow'
          : fallback;
  const month = (style) => d.toLocaleString(undefined, { month: style });
  const dateLong = `${d.toLocaleString(undefined, { weekday: 'long' })}, ${month('long')} ${ORDINAL(d.getDate())}, ${d.getFullYear()}`;
  const date = `${month('long')} ${ORDINAL(d.getDate())}, ${d.getFullYear()}`;
  const dateShort = `${month('short')} ${d.getDate()}, ${d.getFullYear()}`;
  const pad = (n) => String(n).padStart(2, '0');
  const ago = () => {
    const s = Math.round((Date.now() - d.getTime()) / 1000);
    const abs = Math.abs(s);
    const [n, unit] =
      abs < 60
        ? [abs, 'second']
        : abs < 3600
          ? [Math.round(abs / 60), 'minute']
          : abs < 86400
            ? [Math.round(abs / 3600), 'hour']
            : [Math.round(abs / 86400), 'day'];
    const words = `${n} ${unit}${n === 1 ? '' : 's'}`;
    return s >= 0 ? `${words} ago` : `in ${words}`;
  };
  const tokens = {
    date_num: `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`,
    date,
    date_short: dateShort,
    date_long: dateLong,
    date_pretty: pretty(date),
    date_short_pretty: pretty(dateShort),
    date_long_pretty: pretty(dateLong),
    time: d.toLocaleTimeString(undefined, { hour: 'numeric', minute: '2-digit' }),
    time_secs: d.toLocaleTimeString(undefined, { hour: 'numeric', minute: '2-digit', second: '2-digit' }),
    ago: ago(),
  };
  return format.replace(/\{(\w+)\}/g, (all, name) => (name in tokens ? tokens[name] : all));
}

/** One <...> sequence: a link, a user or channel mention, a special mention or a date. */
function controlSequence(inner, users) {
  const [target, label] = splitOnce(inner, '|');
  if (target.startsWith('@')) {
    const id = target.slice(1);
    const name = label || (users[id] ? users[id].name : id);
    return `<span class="mention">@${escapeText(name)}</span>`;
  }
  if (target.startsWith('#')) {
    const name = label || (target.slice(1) === 'C0DEMO' ? 'ops-demo' : target.slice(1));
    return `<span class="mention">#${escapeText(name)}</span>`;
  }
  if (target.startsWith('!date^')) {
    const [, seconds, format, link] = target.split('^');
    const when = Number(seconds);
    const text = Number.isFinite(when) ? formatDate(when, format || '{date_num} {time_secs}') : label || '';
    const title = Number.isFinite(when) ? new Date(when * 1000).toString() : '';
    const shown = `<time title="${escapeText(title)}">${escapeText(text)}</time>`;
    return link
      ? `<a href="${escapeText(unescapeEntities(link))}" target="_blank" rel="noopener">${shown}</a>`
      : shown;
  }
  if (target.startsWith('!subteam^'))
    return `<span class="mention">@${escapeText(label || target.slice(9))}</span>`;
  if (target.startsWith('!')) return `<span class="mention">@${escapeText(target.slice(1))}</span>`;
  const href = unescapeEntities(target);
  const safe = /^(https?:|mailto:)/i.test(href) ? href : '#';
  return `<a href="${escapeText(safe)}" target="_blank" rel="noopener">${escapeText(label || target)}</a>`;
}

function splitOnce(s, sep) {
  const i = s.indexOf(sep);
  return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + 1)];
}

/** Text with links, mentions and dates, escaped; `styled` adds bold, italic, strike, inline code, emoji. */
function inline(text, users, styled) {
  let out = '';
  let last = 0;
  const re = /<([^<>\n]+)>/g;
  let m;
  const plain = (s) => (styled ? styles(escapeText(s)) : escapeText(s));
  while ((m = re.exec(text))) {
    out += plain(text.slice(last, m.index));
    out += controlSequence(m[1], users);
    last = re.lastIndex;
  }
  return out + plain(text.slice(last));
}

function styles(html) {
  // Inline code first: nothing inside it is styled.
  const parts = html.split(/(`[^`\n]+`)/g);
  return parts
    .map((part, i) => {
      if (i % 2 === 1) return `<code>${part.slice(1, -1)}</code>`;
      return emoji(part)
        .replace(/(^|[\s(>"'])\*(?!\s)([^*\n]+?)\*(?=$|[\s.,;:!?)<'"-])/g, '$1<b>$2</b>')
        .replace(/(^|[\s(>"'])_(?!\s)([^_\n]+?)_(?=$|[\s.,;:!?)<'"-])/g, '$1<i>$2</i>')
        .replace(/(^|[\s(>"'])~(?!\s)([^~\n]+?)~(?=$|[\s.,;:!?)<'"-])/g, '$1<s>$2</s>');
    })
    .join('');
}

/** mrkdwn to HTML: code blocks, quotes and line breaks, with inline styles elsewhere. */
function mrkdwn(text, users) {
  const chunks = String(text).split('```');
  return chunks
    .map((chunk, i) => {
      if (i % 2 === 1)
        return `<pre class="code-block">${inline(chunk.replace(/^\n/, ''), users, false)}</pre>`;
      // The line break that closes a code block is the block's end, not an empty line.
      return (i > 0 ? chunk.replace(/^\n/, '') : chunk)
        .split('\n')
        .map((line) =>
          line.startsWith('&gt;')
            ? `<blockquote>${inline(line.replace(/^&gt;\s?/, ''), users, true)}</blockquote>`
            : inline(line, users, true),
        )
        .join('<br>')
        .replace(/<\/blockquote><br>/g, '</blockquote>');
    })
    .join('');
}

function emoji(html) {
  return html.replace(/:([a-z0-9_+-]+):/g, (all, name) =>
    EMOJI[name] ? `<span class="emoji" title=":${name}:">${EMOJI[name]}</span>` : all,
  );
}

/** plain_text: no styles, but emoji, as Slack shows it with `emoji: true`. */
function plainText(text) {
  return emoji(escapeText(String(text)));
}

window.mrkdwn = mrkdwn;
window.plainText = plainText;
window.escapeText = escapeText;
