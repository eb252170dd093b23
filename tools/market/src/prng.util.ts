/**
 * Seeded randomness: the only source of chance in the market (never Math.random), so a
 * seed replays the same market exactly.
 *
 * Streams are derived from a key (`Prng.keyed(seed, 'session', userIndex, n)`) rather than
 * drawn from one global sequence: a user's or a session's draws then do not depend on
 * how many draws other users made, which is what lets several arms see the same traffic
 * (common random numbers) even when their policies make the market diverge.
 */
export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** A stream from a 32-bit seed (expanded with splitmix32, so nearby seeds look unrelated). */
  constructor(seed: number) {
    let s = seed >>> 0;
    const next = () => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next() | 1;
    // sfc32's first outputs are still close to its seed state: discard them.
    for (let i = 0; i < 12; i++) this.next();
  }

  /** The stream named by a seed and a path of labels/indices. */
  static keyed(seed: number, ...path: readonly (string | number)[]): Prng {
    return new Prng(hash32(`${seed}|${path.join('|')}`));
  }

  /** Uniform in [0, 1) (sfc32: small, fast, passes PractRand far beyond what a run draws). */
  next(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t / 4294967296;
  }

  /** Uniform 32-bit unsigned integer. */
  uint32(): number {
    return Math.floor(this.next() * 4294967296) >>> 0;
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    const u = 1 - this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }

  /** Exponential with the given mean. */
  exponential(mean: number): number {
    return -Math.log(1 - this.next()) * mean;
  }

  /** Poisson with mean `mean` (Knuth; the means here are small). */
  poisson(mean: number): number {
    const limit = Math.exp(-mean);
    let k = 0;
    let p = this.next();
    while (p > limit) {
      k++;
      p *= this.next();
    }
    return k;
  }

  /** A multiplicative jitter: exp(σ·N(0,1)), median 1. */
  lognormal(sigma: number): number {
    return Math.exp(sigma * this.normal());
  }

  /** One element, uniformly. */
  pick<T>(xs: readonly T[]): T {
    const x = xs[this.int(xs.length)];
    if (x === undefined) throw new Error('pick from an empty list');
    return x;
  }

  /** An index drawn with probability proportional to `weights`. */
  weighted(weights: readonly number[]): number {
    let total = 0;
    for (const w of weights) total += w;
    let r = this.next() * total;
    for (let i = 0; i < weights.length; i++) {
      r -= weights[i] ?? 0;
      if (r < 0) return i;
    }
    return weights.length - 1;
  }

  /** Fisher–Yates shuffle in place. */
  shuffle<T>(xs: T[]): T[] {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = xs[i]!;
      xs[i] = xs[j]!;
      xs[j] = t;
    }
    return xs;
  }
}

/** A 32-bit string hash (murmur3-style finalizer over UTF-16 units). */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  }
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

const CROCKFORD = [...'0123456789ABCDEFGHJKMNPQRSTVWXYZ'].map((c) => c.charCodeAt(0));
const ULID_CODES = new Array<number>(26);

/**
 * A ULID (26 Crockford base-32 characters: 48-bit time + 80 random bits) whose random part
 * comes from `rng`: sortable like the ids the services mint, yet reproducible for a seed.
 */
export function ulid(timeMs: number, rng: Prng): string {
  const codes = ULID_CODES;
  let t = Math.max(0, Math.floor(timeMs));
  for (let i = 9; i >= 0; i--) {
    codes[i] = CROCKFORD[t % 32]!;
    t = Math.floor(t / 32);
  }
  // 80 random bits from three 32-bit draws, 5 bits per character.
  let bits = rng.uint32();
  let left = 32;
  for (let i = 10; i < 26; i++) {
    if (left < 5) {
      bits = rng.uint32();
      left = 32;
    }
    codes[i] = CROCKFORD[bits & 31]!;
    bits >>>= 5;
    left -= 5;
  }
  return String.fromCharCode(...codes);
}
