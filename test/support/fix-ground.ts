import path from 'node:path';
import { afterAll, afterEach, beforeEach } from '@jest/globals';
import type { StandinOptions } from '../standin/index.js';
import { startGround, type Ground } from '../diagnosis/support.js';

/**
 * For the `fix` commands run in process: a fresh stand-in per test, Rancher's URL and token in the
 * environment as a user would set them, and the audit file's default under the test's own
 * directory; the environment is put back afterwards.
 */
export interface FixGround {
  /** The current test's ground. */
  current(): Ground;
  /** Another stand-in (another scenario) in place of the current test's. */
  restart(options: StandinOptions): Promise<void>;
}

export function fixGround(): FixGround {
  let ground: Ground | null = null;
  const start = async (options: StandinOptions = {}) => {
    ground = await startGround(options);
    process.env.RANCHER_URL = ground.standin.url;
    process.env.RANCHER_TOKEN = ground.standin.rancherToken;
    process.env.XDG_STATE_HOME = path.join(ground.dir, 'state');
  };
  const saved = {
    RANCHER_URL: process.env.RANCHER_URL,
    RANCHER_TOKEN: process.env.RANCHER_TOKEN,
    XDG_STATE_HOME: process.env.XDG_STATE_HOME,
  };
  beforeEach(() => start());
  afterEach(async () => {
    await ground?.close();
    ground = null;
  });
  afterAll(() => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });
  return {
    current() {
      if (!ground) throw new Error('no ground outside a test');
      return ground;
    },
    async restart(options) {
      await ground?.close();
      await start(options);
    },
  };
}
