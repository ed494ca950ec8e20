import type { types } from '@slack/bolt';
import { LIMITS, cut, esc } from './limits.js';

export type Block = types.KnownBlock;

/**
 * One Slack message as the renderers produce it: `uploads` are long texts attached as files in
 * its thread, `thread` the replies posted there once the message is final.
 */
export interface SlackMessage {
  text: string;
  blocks: Block[];
  /** `content` is text (a diff), or the bytes of a binary file (the loop's chart, a PNG). */
  uploads?: { filename: string; title: string; content: string | Uint8Array }[];
  thread?: SlackMessage[];
}

export function header(text: string): Block {
  return { type: 'header', text: { type: 'plain_text', text: cut(text, LIMITS.headerText), emoji: true } };
}

export function section(markdown: string): Block {
  return { type: 'section', text: { type: 'mrkdwn', text: cut(markdown, LIMITS.sectionText) } };
}

export function context(...markdown: string[]): Block {
  return {
    type: 'context',
    elements: markdown.slice(0, 10).map((m) => ({ type: 'mrkdwn', text: cut(m, LIMITS.contextText) })),
  };
}

export function divider(): Block {
  return { type: 'divider' };
}

export interface ButtonSpec {
  text: string;
  actionId: string;
  value: string;
  style?: 'primary' | 'danger';
  /** `text` is plain: it is escaped here. A button that changes nothing needs no confirm. */
  confirm?: { title: string; text: string; confirm: string; deny: string; style?: 'primary' | 'danger' };
}

export function actions(blockId: string, buttons: ButtonSpec[]): Block {
  return {
    type: 'actions',
    block_id: blockId,
    elements: buttons.map((b) => {
      if (b.value.length > LIMITS.buttonValue)
        throw new Error(`button value over ${LIMITS.buttonValue} characters`);
      return {
        type: 'button' as const,
        text: { type: 'plain_text' as const, text: cut(b.text, LIMITS.buttonText), emoji: true },
        action_id: b.actionId,
        value: b.value,
        ...(b.style ? { style: b.style } : {}),
        ...(b.confirm
          ? {
              confirm: {
                title: { type: 'plain_text' as const, text: cut(b.confirm.title, LIMITS.confirmTitle) },
                text: { type: 'mrkdwn' as const, text: cut(esc(b.confirm.text), LIMITS.confirmText) },
                confirm: { type: 'plain_text' as const, text: cut(b.confirm.confirm, 30) },
                deny: { type: 'plain_text' as const, text: cut(b.confirm.deny, 30) },
                ...(b.confirm.style ? { style: b.confirm.style } : {}),
              },
            }
          : {}),
      };
    }),
  };
}

/**
 * Keeps a message within Slack's 50 blocks: the blocks past the limit are replaced by one
 * context line saying how many were left out (the actions block, if last, is kept).
 */
export function fitBlocks(blocks: Block[]): Block[] {
  if (blocks.length <= LIMITS.blocksPerMessage) return blocks;
  const keepLast = blocks[blocks.length - 1]?.type === 'actions' ? 1 : 0;
  const room = LIMITS.blocksPerMessage - 1 - keepLast;
  const dropped = blocks.length - room - keepLast;
  return [
    ...blocks.slice(0, room),
    context(`… ${dropped} more block(s) left out: Slack shows at most ${LIMITS.blocksPerMessage}`),
    ...(keepLast ? [blocks[blocks.length - 1]!] : []),
  ];
}

/**
 * `text` is the notification fallback, written plain: it is escaped here whole (notifications
 * parse it, so a `<!channel>` in a name would ping), and so carries no mentions or formatting.
 */
export function message(text: string, blocks: Block[], uploads?: SlackMessage['uploads']): SlackMessage {
  return {
    text: esc(cut(text, LIMITS.fallbackText)),
    blocks: fitBlocks(blocks),
    ...(uploads && uploads.length ? { uploads } : {}),
  };
}
