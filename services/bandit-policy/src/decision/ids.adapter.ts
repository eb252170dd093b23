import { randomBytes } from 'node:crypto';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** Sources of time and chance for decisions (the only place the decision path reads them). */
export interface DecisionEnv {
  /** Epoch milliseconds. */
  now(): number;
  /** A new decision id (ULID). */
  decisionId(nowMs: number): string;
  /** A fresh 64-bit seed for a decision's draws (logged, so the draws can be replayed). */
  seed(): bigint;
}

/**
 * ULIDs (time-sortable, 128 bits: 48 bits of ms time + 80 random bits, Crockford base32),
 * monotonic within a millisecond so ids of one replica sort in decision order.
 */
export class SystemDecisionEnv implements DecisionEnv {
  private lastMs = -1;
  private counter = 0n;

  /** @param fixedSeed when set, decision seeds are derived from it (reproducible draws). */
  constructor(private readonly fixedSeed?: bigint) {}

  private last: Uint8Array = new Uint8Array(10);
  private pool = randomBytes(4096);
  private at = 0;

  now(): number {
    return Date.now();
  }

  private bytes(n: number): Uint8Array {
    if (this.at + n > this.pool.length) {
      this.pool = randomBytes(4096);
      this.at = 0;
    }
    const out = this.pool.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }

  decisionId(nowMs: number): string {
    let rand: Uint8Array;
    if (nowMs === this.lastMs) {
      rand = Uint8Array.from(this.last);
      for (let i = rand.length - 1; i >= 0; i--) {
        rand[i] = (rand[i]! + 1) & 0xff;
        if (rand[i] !== 0) break;
      }
    } else rand = Uint8Array.from(this.bytes(10));
    this.lastMs = nowMs;
    this.last = rand;
    let t = nowMs;
    let time = '';
    for (let i = 0; i < 10; i++) {
      time = CROCKFORD[t % 32]! + time;
      t = Math.floor(t / 32);
    }
    // 80 random bits = 16 base32 characters, 5 bits at a time.
    let bits = 0n;
    for (const b of rand) bits = (bits << 8n) | BigInt(b);
    let r = '';
    for (let i = 0; i < 16; i++) {
      r = CROCKFORD[Number(bits & 31n)]! + r;
      bits >>= 5n;
    }
    return time + r;
  }

  seed(): bigint {
    if (this.fixedSeed === undefined) return Buffer.from(this.bytes(8)).readBigUInt64BE();
    // splitmix64 of (seed + n): independent-looking seeds, the same sequence on every run.
    const M = (1n << 64n) - 1n;
    let z = (this.fixedSeed + ++this.counter * 0x9e3779b97f4a7c15n) & M;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & M;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & M;
    return z ^ (z >> 31n);
  }
}
