import type { SlackMessage } from './blocks.js';

/**
 * A Slack message as plain text for a person: the golden `.txt` a reviewer reads, and what
 * `rancher-doctor demo --run` prints. The mrkdwn is kept as written (entities, `*bold*`, code
 * fences), so what is read here is exactly what Slack gets, only laid out as lines.
 */
export function messageAsText(msg: Pick<SlackMessage, 'text' | 'blocks' | 'uploads' | 'thread'>): string {
  const out: string[] = [`Notification: ${msg.text}`, '='.repeat(72)];
  for (const block of msg.blocks) out.push('', ...blockLines(block as unknown as Loose));
  (msg.thread ?? []).forEach((reply, i) => {
    out.push('', `—— thread, reply ${i + 1} ${'—'.repeat(56)}`);
    for (const block of reply.blocks) out.push('', ...blockLines(block as unknown as Loose));
  });
  for (const u of msg.uploads ?? []) out.push('', ...uploadLines(u));
  return out.join('\n') + '\n';
}

/**
 * Blocks read loosely: the renderer must print whatever a message holds, including kinds the
 * product does not make yet, rather than fail in `demo` on a block it was not taught.
 */
interface Loose {
  type?: string;
  text?: Loose | string;
  fields?: Loose[];
  elements?: Loose[];
  accessory?: Loose;
  style?: string;
  confirm?: { title?: Loose; text?: Loose; confirm?: Loose; deny?: Loose; style?: string };
  alt_text?: string;
  image_url?: string;
  title?: Loose;
  external_id?: string;
  url?: string;
}

function textOf(t: Loose | string | undefined): string {
  if (t === undefined) return '';
  if (typeof t === 'string') return t;
  return typeof t.text === 'string' ? t.text : '';
}

function indent(prefix: string, text: string): string[] {
  return text.split('\n').map((l) => (l ? prefix + l : prefix.trimEnd()));
}

function blockLines(b: Loose): string[] {
  switch (b.type) {
    case 'header':
      return [`# ${textOf(b.text)}`];
    case 'section': {
      const lines = b.text ? textOf(b.text).split('\n') : [];
      for (const f of b.fields ?? []) lines.push(...indent('  | ', textOf(f)));
      if (b.accessory) lines.push(...indent('  ', elementLines(b.accessory).join('\n')));
      return lines;
    }
    case 'context':
      return (b.elements ?? []).flatMap((e) =>
        e.type === 'image' ? [`  · ${imageText(e)}`] : indent('  · ', textOf(e)),
      );
    case 'divider':
      return ['---'];
    case 'actions':
      return (b.elements ?? []).flatMap(elementLines);
    case 'image':
      return [imageText(b)];
    case 'file':
      return [`[file ${b.external_id ?? ''}]`];
    default:
      return [`[${b.type ?? 'untyped'} block, not rendered as text]`];
  }
}

function imageText(i: Loose): string {
  const title = textOf(i.title);
  return `[image${title ? `: ${title}` : ''}] ${i.alt_text ?? ''} <${i.image_url ?? ''}>`.trimEnd();
}

/** A button on its own line, with its confirm dialog indented under it, as Slack would open it. */
function elementLines(e: Loose): string[] {
  if (e.type === 'image') return [imageText(e)];
  if (e.type !== 'button') return [`[${e.type ?? 'untyped'} element]`];
  const lines = [`[${textOf(e.text)}]${e.style ? ` (${e.style})` : ''}${e.url ? ` <${e.url}>` : ''}`];
  const c = e.confirm;
  if (c) {
    lines.push(`    ┌ confirm: ${textOf(c.title)}`);
    lines.push(...indent('    │ ', textOf(c.text)));
    lines.push(`    └ [${textOf(c.confirm)}]${c.style ? ` (${c.style})` : ''}  [${textOf(c.deny)}]`);
  }
  return lines;
}

const PREVIEW_LINES = 5;

function uploadLines(u: NonNullable<SlackMessage['uploads']>[number]): string[] {
  if (typeof u.content !== 'string') {
    return [`File posted in the thread: ${u.filename} "${u.title}" (${u.content.length} bytes)`];
  }
  const lines = u.content.replace(/\n$/, '').split('\n');
  const shown = lines.slice(0, PREVIEW_LINES);
  return [
    `File posted in the thread: ${u.filename} "${u.title}" (${lines.length} lines)`,
    ...shown.map((l) => `  > ${l}`),
    ...(lines.length > shown.length ? [`  > … ${lines.length - shown.length} more lines`] : []),
  ];
}
