import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { DIAGNOSE_QUEUE } from '../src/queue/job-data.js';
import type { SlackMessage } from '../src/slack/render/blocks.js';
import { messageAsText } from '../src/slack/render/as-text.js';
import { COMMAND, USERS } from './bot-link.js';
import type { ChannelMessage } from './channel.js';
import type { RunningDemo } from './demo.js';

export interface RunOnceResult {
  code: number;
  output: string;
  /** Why it did not end well, in one line; absent when it did. */
  problem?: string;
}

const PENDING = ['waiting', 'wait', 'active', 'delayed', 'prioritized', 'waiting-children'] as const;

/**
 * `demo --run TEXT`: sends TEXT as the approver, waits until every job it queued has completed or
 * failed for good, and prints the channel as text, as the golden files show messages.
 */
export async function runOnce(demo: RunningDemo, text: string, timeoutMs: number): Promise<RunOnceResult> {
  if (text.trim().split(/\s+/)[0] !== COMMAND)
    return {
      code: 2,
      output: '',
      problem: `--run takes a ${COMMAND} command, such as "${COMMAND} diagnose --watch 5s"`,
    };
  const approver = USERS.find((u) => u.approver)!;
  const sent = await demo.link.command(approver.id, text);
  if (sent.status !== 200) {
    return {
      code: 1,
      output: channelAsText(demo),
      problem: `the bot did not take the command (HTTP ${sent.status || 'unreachable'})`,
    };
  }
  const redis = new Redis(demo.redis.url, { maxRetriesPerRequest: null });
  const queue = new Queue(DIAGNOSE_QUEUE, { connection: redis, prefix: demo.prefix });
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const counts = await queue.getJobCounts(...PENDING, 'completed', 'failed');
      if (PENDING.every((state) => !counts[state])) break;
      if (Date.now() > deadline)
        return {
          code: 1,
          output: channelAsText(demo),
          problem: `the job did not end within ${Math.round(timeoutMs / 1000)}s (--timeout)`,
        };
      await new Promise((r) => setTimeout(r, 200));
    }
    const failed = await queue.getFailed();
    const output = channelAsText(demo);
    if (failed.length)
      return {
        code: 1,
        output,
        problem: `the diagnosis failed: ${failed.map((j) => j.failedReason).join('; ')}`,
      };
    return { code: 0, output };
  } finally {
    await queue.close();
    redis.disconnect();
  }
}

/** The channel as lines: each message, its thread under it, ephemerals marked as such. */
export function channelAsText(demo: RunningDemo): string {
  const all = demo.channel.messages.filter((m) => !m.deleted);
  const out: string[] = [];
  for (const m of all.filter((x) => !x.threadTs)) {
    out.push(heading(m), messageAsText(asSlack(m)));
    for (const reply of all.filter((x) => x.threadTs === m.id)) {
      out.push(
        indent(heading(reply, 'reply in the thread'), '    '),
        indent(messageAsText(asSlack(reply)), '    '),
      );
    }
  }
  for (const orphan of all.filter((x) => x.threadTs && !all.some((p) => p.id === x.threadTs)))
    out.push(heading(orphan, `reply in the thread of ${orphan.threadTs}`), messageAsText(asSlack(orphan)));
  return out.join('\n');
}

function heading(m: ChannelMessage, where = ''): string {
  const who = m.ephemeralTo
    ? `only visible to ${USERS.find((u) => u.id === m.ephemeralTo)?.name ?? m.ephemeralTo}`
    : 'rancher-doctor';
  const how = [
    where,
    m.command ? `answer to ${m.command}` : '',
    `via ${m.via}`,
    m.updates ? `updated ${m.updates} times` : '',
  ]
    .filter(Boolean)
    .join(', ');
  return `──── ${who} (${how}) ────`;
}

function asSlack(m: ChannelMessage): Pick<SlackMessage, 'text' | 'blocks' | 'uploads'> {
  return {
    text: m.text,
    blocks: m.blocks as SlackMessage['blocks'],
    // An image is told by its size, not printed (asText).
    uploads: m.uploads.map((u) => ({
      filename: u.filename,
      title: u.title,
      content: u.image === undefined ? u.content : Buffer.alloc(u.bytes),
    })),
  };
}

function indent(text: string, prefix: string): string {
  return text
    .split('\n')
    .map((l) => (l ? prefix + l : l))
    .join('\n');
}
