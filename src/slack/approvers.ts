import type { webApi } from '@slack/bolt';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

/**
 * APPROVERS lists user ids and user group ids. Group members are read with usergroups.users.list
 * and cached in Redis for a few minutes, shared by every bot replica.
 */
export class ApproverDirectory {
  private readonly users: Set<string>;
  private readonly groups: string[];

  constructor(
    approvers: string[],
    private readonly client: webApi.WebClient,
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly log: Logger,
    private readonly cacheSeconds = 300,
  ) {
    this.users = new Set(approvers.filter((id) => !id.startsWith('S')));
    this.groups = approvers.filter((id) => id.startsWith('S'));
  }

  async includes(userId: string): Promise<boolean> {
    if (this.users.has(userId)) return true;
    for (const group of this.groups) {
      if ((await this.members(group)).includes(userId)) return true;
    }
    return false;
  }

  private async members(group: string): Promise<string[]> {
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
