/**
 * Writes per object over a sliding window, as counters only: one small ring of per-second
 * buckets for each object written within the window, nothing for the others. With 20,000 node
 * objects of which a handful change each minute, memory follows the writers, not the objects.
 */
export interface ObjectRate {
  key: string;
  writes: number;
  writesPerMinute: number;
}

interface Ring {
  buckets: Uint32Array;
  /** The second the newest bucket stands for. */
  lastSecond: number;
  total: number;
}

export class WriteWindow {
  private readonly rings = new Map<string, Ring>();
  private readonly startedAt: number;

  /** @param now the first moment counted, ms (a window younger than its length is counted as long as it is). */
  constructor(
    private readonly windowSeconds: number,
    now: number,
  ) {
    this.startedAt = now;
  }

  /** One write of `key` at `now` (ms). */
  add(key: string, now: number): void {
    const second = Math.floor(now / 1000);
    let ring = this.rings.get(key);
    if (!ring) {
      ring = { buckets: new Uint32Array(this.windowSeconds), lastSecond: second, total: 0 };
      this.rings.set(key, ring);
    }
    this.advance(ring, second);
    ring.buckets[second % this.windowSeconds]! += 1;
    ring.total += 1;
  }

  /** The object is gone: its writes no longer count. */
  forget(key: string): void {
    this.rings.delete(key);
  }

  /** Objects tracked now (written within the window). */
  get size(): number {
    return this.rings.size;
  }

  /** Every object written within the window, with its rate; objects with none are dropped. */
  rates(now: number): ObjectRate[] {
    const second = Math.floor(now / 1000);
    const spanSeconds = Math.max(1, Math.min(this.windowSeconds, (now - this.startedAt) / 1000));
    const out: ObjectRate[] = [];
    for (const [key, ring] of this.rings) {
      this.advance(ring, second);
      if (ring.total === 0) {
        this.rings.delete(key);
        continue;
      }
      out.push({ key, writes: ring.total, writesPerMinute: (ring.total * 60) / spanSeconds });
    }
    return out;
  }

  /** Empties the buckets between the ring's last second and `second`. */
  private advance(ring: Ring, second: number): void {
    if (second <= ring.lastSecond) return;
    const steps = Math.min(second - ring.lastSecond, this.windowSeconds);
    for (let i = 1; i <= steps; i++) {
      const slot = (ring.lastSecond + i) % this.windowSeconds;
      ring.total -= ring.buckets[slot]!;
      ring.buckets[slot] = 0;
    }
    ring.lastSecond = second;
  }
}
