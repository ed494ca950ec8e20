import type { RecordedCall } from '../test/support/slack-api.js';

export interface Upload {
  filename: string;
  title: string;
  /** The file's text; empty for an image. */
  content: string;
  /** A PNG, as a data URL (the loop's chart), shown as the picture Slack would show. */
  image?: string;
  bytes: number;
}

const PNG_SIGNATURE = '89504e470d0a1a0a';

/** What an upload URL received (the stand-in's record: its text, and its bytes in base64). */
function uploadOf(args: Record<string, unknown>): Pick<Upload, 'content' | 'image' | 'bytes'> {
  const base64 = str(args.base64) ?? '';
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.subarray(0, 8).toString('hex') === PNG_SIGNATURE) {
    return { content: '', image: `data:image/png;base64,${base64}`, bytes: bytes.length };
  }
  const content = str(args.content) ?? '';
  return { content, bytes: Number(args.bytes ?? Buffer.byteLength(content)) };
}

/** One message of the channel as a person in it sees it. */
export interface ChannelMessage {
  /** The message's ts for what the bot posted; a local id for ephemerals (Slack gives them none to update). */
  id: string;
  threadTs?: string;
  text: string;
  blocks: unknown[];
  uploads: Upload[];
  /** Set on a message only this user sees ("Only visible to you"). */
  ephemeralTo?: string;
  /** How it reached the channel: chat.postMessage, chat.update's count, a response_url, ... */
  via: string;
  /** For an answer to a slash command: the command as typed. */
  command?: string;
  /** When it was posted and last changed (ms since the epoch, the demo's clock). */
  at: number;
  updatedAt?: number;
  updates: number;
  deleted?: boolean;
}

/** What a response_url answers: the user who clicked or typed, and the message clicked, if any. */
export interface ResponseContext {
  userId: string;
  messageId?: string;
  command?: string;
}

type Args = Record<string, unknown>;

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const truthy = (v: unknown): boolean => v === true || v === 'true';

/**
 * One channel, rebuilt from what the bot asks of the Web API stand-in, as Slack would show it:
 * posts, their updates, thread replies, files shared in threads, ephemerals (chat.postEphemeral,
 * response_url) and answers to slash commands.
 */
export class Channel {
  readonly messages: ChannelMessage[] = [];
  private version = 0;
  private localIds = 0;
  private readonly listeners = new Set<() => void>();
  private readonly responses = new Map<string, ResponseContext>();
  /** A file's upload path by its id, and what was sent to that path. */
  private readonly filePaths = new Map<string, string>();
  private readonly uploaded = new Map<string, Pick<Upload, 'content' | 'image' | 'bytes'>>();

  constructor(
    readonly id: string,
    private readonly now: () => number = Date.now,
  ) {}

  get changes(): number {
    return this.version;
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Keeps what a response_url stands for, until the bot answers there. */
  expectResponse(id: string, context: ResponseContext): void {
    this.responses.set(id, context);
  }

  find(id: string): ChannelMessage | undefined {
    return this.messages.find((m) => m.id === id && !m.deleted);
  }

  /** The answer Slack shows for a slash command: the body of the bot's HTTP answer to it. */
  commandAnswer(context: ResponseContext, answer: Args): void {
    this.respond(context, { response_type: 'ephemeral', ...answer }, 'the answer to the command');
  }

  /** Something Slack itself says to the user (a command that failed before it reached the bot). */
  slackSays(userId: string, command: string, text: string): void {
    this.add({ text, blocks: [], ephemeralTo: userId, via: 'Slack', command });
  }

  apply(call: RecordedCall): void {
    const args = call.args;
    const answer = call.answer;
    if (!answer || answer.ok !== true) return;
    const channel = str(args.channel) ?? str(args.channel_id);
    if (call.method === 'response_url') {
      const id = str(args.path)?.replace(/^\/response\//, '');
      const context = id ? this.responses.get(id) : undefined;
      if (context) this.respond(context, args, 'response_url');
      return;
    }
    if (call.method.startsWith('/upload/')) {
      this.uploaded.set(decodeURIComponent(call.method), uploadOf(args));
      return;
    }
    if (call.method === 'files.getUploadURLExternal') {
      const url = str(answer.upload_url);
      const fileId = str(answer.file_id);
      if (url && fileId) this.filePaths.set(fileId, decodeURIComponent(new URL(url).pathname));
      return;
    }
    if (channel !== this.id) return;
    switch (call.method) {
      case 'chat.postMessage':
        this.add({
          id: str(answer.ts),
          ...(str(args.thread_ts) ? { threadTs: str(args.thread_ts) } : {}),
          text: str(args.text) ?? '',
          blocks: blocksOf(args.blocks),
          via: 'chat.postMessage',
        });
        return;
      case 'chat.update': {
        const target = this.find(str(args.ts) ?? '');
        if (!target) return;
        target.text = str(args.text) ?? target.text;
        target.blocks = args.blocks === undefined ? target.blocks : blocksOf(args.blocks);
        target.updates++;
        target.updatedAt = this.now();
        this.changed();
        return;
      }
      case 'chat.postEphemeral':
        this.add({
          text: str(args.text) ?? '',
          blocks: blocksOf(args.blocks),
          ephemeralTo: str(args.user) ?? '',
          ...(str(args.thread_ts) ? { threadTs: str(args.thread_ts) } : {}),
          via: 'chat.postEphemeral',
        });
        return;
      case 'files.completeUploadExternal': {
        const files = JSON.parse(str(args.files) ?? '[]') as { id: string; title?: string }[];
        const uploads = files.map((f) => {
          const path = this.filePaths.get(f.id) ?? '';
          return {
            filename: path.replace(/^\/upload\//, ''),
            title: f.title ?? '',
            ...(this.uploaded.get(path) ?? { content: '', bytes: 0 }),
          };
        });
        this.add({
          ...(str(args.thread_ts) ? { threadTs: str(args.thread_ts) } : {}),
          text: str(args.initial_comment) ?? '',
          blocks: [],
          uploads,
          via: 'files.uploadV2',
        });
        return;
      }
    }
  }

  /** A response_url answer as Slack applies it: replace or delete the message clicked, or a new one. */
  private respond(context: ResponseContext, args: Args, via: string): void {
    const original = context.messageId ? this.find(context.messageId) : undefined;
    if (original && truthy(args.delete_original)) {
      original.deleted = true;
      this.changed();
      return;
    }
    if (original && truthy(args.replace_original)) {
      original.text = str(args.text) ?? original.text;
      original.blocks = blocksOf(args.blocks);
      original.updates++;
      original.updatedAt = this.now();
      this.changed();
      return;
    }
    if (str(args.text) === undefined && args.blocks === undefined) return;
    this.add({
      text: str(args.text) ?? '',
      blocks: blocksOf(args.blocks),
      ...(args.response_type === 'in_channel' ? {} : { ephemeralTo: context.userId }),
      via,
      ...(context.command ? { command: context.command } : {}),
    });
  }

  private add(
    m: Omit<ChannelMessage, 'id' | 'at' | 'updates' | 'uploads'> & { id?: string; uploads?: Upload[] },
  ): void {
    this.messages.push({
      ...m,
      id: m.id ?? `local-${++this.localIds}`,
      uploads: m.uploads ?? [],
      at: this.now(),
      updates: 0,
    });
    this.changed();
  }

  private changed(): void {
    this.version++;
    for (const listener of this.listeners) listener();
  }
}

function blocksOf(v: unknown): unknown[] {
  if (Array.isArray(v)) return v as unknown[];
  if (typeof v === 'string' && v.startsWith('[')) return JSON.parse(v) as unknown[];
  return [];
}
