import type { Standin, StandinOptions } from './types.js';

export async function startStandin(_opts: StandinOptions = {}): Promise<Standin> {
  throw new Error('startStandin: being written (skeleton commit)');
}
