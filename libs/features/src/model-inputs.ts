import type { FeatureSpec } from './feature-spec';

/**
 * How a FeatureSet becomes model input tensors — the contract between the scoring service
 * and the trainer's ONNX export. A model declares which of these named inputs it takes
 * (shapes [batch, …], batch = one row per candidate):
 * - `user`      float32 [batch, U]  the user vector (repeated on every row), spec order
 * - `candidate` float32 [batch, C]  the candidate's vector, spec order
 * - `seq_item`  int64   [batch, L]  the user's last L events, oldest first, left-padded
 *                                   with 0: itemBucket(item_id) (1..buckets−1; 0 = none)
 * - `seq_category` int64 [batch, L] the same for category ids
 * - `seq_type`  int64   [batch, L]  EventType numbers (0 = padding)
 * - `seq_age`   float32 [batch, L]  log1p(age in hours) (0 for padding)
 */
export const MODEL_INPUT_NAMES = [
  'user',
  'candidate',
  'seq_item',
  'seq_category',
  'seq_type',
  'seq_age',
] as const;
export type ModelInputName = (typeof MODEL_INPUT_NAMES)[number];

/** FNV-1a (32-bit) over UTF-8: the id hash the trainer uses too. */
export function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(s, 'utf8')) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** The embedding row of an id: 1..buckets−1, 0 for the empty id (padding). */
export function idBucket(id: string, buckets: number): number {
  if (id === '') return 0;
  return 1 + (fnv1a32(id) % (buckets - 1));
}

/** One sequence event as the model inputs read it. */
export interface SequenceInput {
  readonly itemId: string;
  readonly categoryId: string;
  readonly type: number;
  readonly ageSeconds: number;
}

/** The tensors of one request (rows = its candidates), before batching. */
export interface EncodedRows {
  readonly rows: number;
  readonly data: Partial<Record<ModelInputName, Float32Array | BigInt64Array>>;
}

/** What an encoder needs to know about the model. */
export interface InputPlan {
  readonly names: readonly ModelInputName[];
  /** Sequence length L of the seq_* inputs. */
  readonly sequenceLength: number;
  /** Hash buckets of seq_item / seq_category. */
  readonly idBuckets: number;
}

/**
 * Encodes one request: `user` (spec.user.length values), one vector per candidate, and
 * the user's sequence (oldest first), as the model's declared inputs.
 */
export function encodeRows(
  spec: FeatureSpec,
  plan: InputPlan,
  user: ArrayLike<number>,
  candidates: readonly ArrayLike<number>[],
  sequence: readonly SequenceInput[],
): EncodedRows {
  const n = candidates.length;
  const U = spec.user.length;
  const C = spec.candidate.length;
  const L = plan.sequenceLength;
  const data: EncodedRows['data'] = {};
  for (const name of plan.names) {
    switch (name) {
      case 'user': {
        const a = new Float32Array(n * U);
        for (let r = 0; r < n; r++) a.set(user, r * U);
        data.user = a;
        break;
      }
      case 'candidate': {
        const a = new Float32Array(n * C);
        candidates.forEach((c, r) => a.set(c, r * C));
        data.candidate = a;
        break;
      }
      case 'seq_item':
      case 'seq_category':
      case 'seq_type': {
        const row = new BigInt64Array(L);
        const tail = sequence.slice(-L);
        const pad = L - tail.length;
        tail.forEach((s, i) => {
          const v =
            name === 'seq_type'
              ? s.type
              : idBucket(name === 'seq_item' ? s.itemId : s.categoryId, plan.idBuckets);
          row[pad + i] = BigInt(v);
        });
        const a = new BigInt64Array(n * L);
        for (let r = 0; r < n; r++) a.set(row, r * L);
        data[name] = a;
        break;
      }
      case 'seq_age': {
        const row = new Float32Array(L);
        const tail = sequence.slice(-L);
        const pad = L - tail.length;
        tail.forEach((s, i) => (row[pad + i] = Math.log1p(Math.max(0, s.ageSeconds) / 3600)));
        const a = new Float32Array(n * L);
        for (let r = 0; r < n; r++) a.set(row, r * L);
        data.seq_age = a;
        break;
      }
    }
  }
  return { rows: n, data };
}
