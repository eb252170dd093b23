import { PolicyErrorCode, PolicyException } from './policy.exception';
import { type Rng } from './policy.types';

const MASK64 = (1n << 64n) - 1n;
const GOLDEN_GAMMA = 0x9e3779b97f4a7c15n;

/** SplitMix64's output function: a bijective 64-bit mixer. */
function mix64(z: bigint): bigint {
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return z ^ (z >> 31n);
}

function toUint64(value: bigint | number, what: string): bigint {
  if (typeof value === 'number' && !Number.isSafeInteger(value)) {
    throw new PolicyException(
      PolicyErrorCode.INVALID_ARGUMENT,
      `${what} must be a safe integer or a bigint, got ${value}`,
    );
  }
  return BigInt.asUintN(64, BigInt(value));
}

/**
 * sfc32 (Chris Doty-Humphrey's Small Fast Counting generator): 128 bits of state, 32-bit
 * output, passes PractRand/BigCrush, and runs on 32-bit integer arithmetic, which V8
 * keeps unboxed. Its counter word guarantees a period of at least 2³².
 */
export class Sfc32Rng implements Rng {
  // A typed array keeps the words unboxed: as object fields, values beyond V8's 31-bit
  // small integers would be boxed doubles, several times slower to update.
  private readonly s = new Int32Array(4);

  /** Seeds the state from SplitMix64 so that nearby seeds give unrelated streams. */
  constructor(seed: bigint | number) {
    let state = toUint64(seed, 'seed');
    const next64 = (): bigint => {
      state = (state + GOLDEN_GAMMA) & MASK64;
      return mix64(state);
    };
    const w0 = next64();
    const w1 = next64();
    this.s[0] = Number(w0 >> 32n);
    this.s[1] = Number(w0 & 0xffffffffn);
    this.s[2] = Number(w1 >> 32n);
    this.s[3] = Number(w1 & 0xffffffffn);
    // The reference implementation discards its first outputs to leave the seeding state.
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /** Uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const s = this.s;
    const a = s[0]!;
    const b = s[1]!;
    const c = s[2]!;
    const d = s[3]!;
    const t = (((a + b) | 0) + d) | 0;
    s[3] = (d + 1) | 0;
    s[0] = b ^ (b >>> 9);
    s[1] = (c + (c << 3)) | 0;
    s[2] = (((c << 21) | (c >>> 11)) + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1) on a grid of 2⁻³². */
  next(): number {
    return this.nextUint32() / 4294967296;
  }
}

/** A generator seeded from a 64-bit seed (numbers must be safe integers; negatives wrap). */
export function seededRng(seed: bigint | number): Rng {
  return new Sfc32Rng(seed);
}

/**
 * Stream `stream` of `seed`: a generator independent of `seededRng(seed)` and of every other
 * stream of the same seed, and the same one each time it is asked for (replay).
 */
export function childRng(seed: bigint | number, stream: bigint | number): Rng {
  const s = toUint64(seed, 'seed');
  const k = toUint64(stream, 'stream');
  return new Sfc32Rng(mix64((mix64(s) + (k + 1n) * GOLDEN_GAMMA) & MASK64));
}

/**
 * A generator seeded by 64 bits drawn from `parent`: for work (such as Monte-Carlo
 * re-draws) that must not disturb, nor be disturbed by, later draws of the parent.
 */
export function forkRng(parent: Rng): Rng {
  const hi = Math.floor(parent.next() * 4294967296);
  const lo = Math.floor(parent.next() * 4294967296);
  return new Sfc32Rng((BigInt(hi) << 32n) | BigInt(lo));
}
