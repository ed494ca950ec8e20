import type { webApi } from '@slack/bolt';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { FixKind } from '../remediation/approval/decision.js';

/**
 * The approvers of each fix (APPROVERS_PATCH, APPROVERS_DRAIN, else APPROVERS): user ids and user
 * group ids. Group members are read with usergroups.users.list and cached in Redis for a few
 * minutes, shared by every bot replica.
 */
export class ApproverDirectory {
  constructor(
    private readonly lists: Record<FixKind, string[]>,
    private readonly client: webApi.WebClient,
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly log: Logger,
    private readonly cacheSeconds = 300,
  ) {}

  /** Whether anyone at all is configured to approve the fix (any fix for 'any'). */
  configured(kind: FixKind | 'any'): boolean {
    return this.ids(kind).length > 0;
  }

  /** The fix's approvers with groups resolved; a group Slack cannot list counts as empty. */
  async members(kind: FixKind | 'any'): Promise<Set<string>> {
    const users = new Set<string>();
    for (const id of this.ids(kind)) {
      if (!id.startsWith('S')) users.add(id);
      else for (const u of await this.groupMembers(id)) users.add(u);
    }
    return users;
  }

  async includes(userId: string, kind: FixKind | 'any' = 'any'): Promise<boolean> {
    const ids = this.ids(kind);
    if (ids.includes(userId)) return true;
    for (const group of ids.filter((id) => id.startsWith('S'))) {
      if ((await this.groupMembers(group)).includes(userId)) return true;
    }
    return false;
  }

  private ids(kind: FixKind | 'any'): string[] {
    return kind === 'any' ? [...new Set([...this.lists.patch, ...this.lists.drain])] : this.lists[kind];
  }

  private async groupMembers(group: string): Promise<string[]> {
    const key = `${this.prefix}:doctor:usergroup:${group}`;
    const cached = await this.redis.get(key).catch(() => null);
    if (cached) return JSON.parse(cached) as string[];
    try {
      const result = await this.client.usergroups.users.list({ usergroup: group });
      const users = result.users ?? [];
      await this.redis.set(key, JSON.stringify(users), 'EX', this.cacheSeconds).catch(() => undefined);
      return users;
    } catch (err) {
      this.log.error(
        { method: 'usergroups.users.list', usergroup: group, err: String(err) },
        'Slack Web API call failed',
      );
      return [];
    }
  }
}
