/**
 * Faster encoders for the float-heavy messages on the decision path, byte-identical to the
 * generated (ts-proto) ones: the FeatureSet that GetFeatures answers with and Score takes
 * carries a vector of floats per candidate (50 candidates × 33 values are 1,650 floats),
 * and the generated encoder writes each float with its own call. Here a packed float field
 * is one bulk copy through a Float32Array. Every other field is left to the generated
 * encoders, so a proto change that these functions do not know about still encodes.
 *
 * `FeatureServiceService` and `ScoringServiceService` (exported from the package in place of
 * the generated ones) use these encoders for GetFeaturesResponse and ScoreRequest, so the
 * feature service's answers and bandit-policy's scoring requests take this path, and the
 * decoders on the other ends (bandit-policy's GetFeatures client, the scoring server) read a
 * packed float field through one Float32Array view. float-codecs.spec.ts checks byte
 * equality and decoded equality with the generated code on random messages.
 */
import { BinaryReader, BinaryWriter, FLOAT32_MAX, FLOAT32_MIN } from '@bufbuild/protobuf/wire';
import {
  type CandidateFeatures,
  FeatureFreshness,
  type FeatureSet,
  FeatureServiceService as GeneratedFeatureService,
  type GetFeaturesResponse,
  SequenceEvent,
  type UserFeatures,
  UserProfile,
} from './gen/offerstream/v1/features';
import {
  type ScoreRequest,
  ScoreResponse,
  ScoringServiceService as GeneratedScoringService,
} from './gen/offerstream/v1/scoring';

/**
 * The float32 range, read once: the package's re-exports are getters, and a getter call per
 * value was a tenth of the feature service's CPU under load (bench-features profile).
 */
const F32_MAX = FLOAT32_MAX;
const F32_MIN = FLOAT32_MIN;

/** Float32Array bytes are the wire's (little-endian) bytes on this host. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Where values are converted to float32; `bytesOf` caches a byte view per length over it. */
let scratch = new Float32Array(1024);
let views = new Map<number, Uint8Array>();
function bytesOf(n: number): Uint8Array {
  let v = views.get(n);
  if (!v) {
    v = new Uint8Array(scratch.buffer, 0, 4 * n);
    views.set(n, v);
  }
  return v;
}

/**
 * A packed `repeated float` field: the tag, the byte length, then the values as
 * little-endian float32 (nothing for an empty list, as the generated code does).
 */
export function writePackedFloats(w: BinaryWriter, tag: number, values: readonly number[]): void {
  const n = values.length;
  if (n === 0) return;
  w.uint32(tag);
  if (!LITTLE_ENDIAN) {
    w.fork();
    for (const v of values) w.float(v);
    w.join();
    return;
  }
  if (scratch.length < n) {
    scratch = new Float32Array(Math.max(n, 2 * scratch.length));
    views = new Map();
  }
  const f32 = scratch;
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    // As the generated writer: a finite value a float32 cannot hold is an error, not ±Inf
    // (NaN fails both comparisons and passes, as it does there).
    if ((v > F32_MAX || v < F32_MIN) && Number.isFinite(v))
      throw new Error(`invalid float32: ${v}`);
    f32[i] = v;
  }
  w.uint32(4 * n);
  w.raw(bytesOf(n));
}

/** Scratch for packed floats whose bytes are not 4-byte aligned in the message. */
let readScratch = new Uint8Array(1024);

/**
 * A packed `repeated float` field's values (the reader is at its length prefix) after those
 * already in `into`: one view over the bytes instead of a call per value, and a new array
 * of the right size when `into` is empty (the usual case). A length that is not a multiple
 * of 4 is malformed and refused.
 */
export function readPackedFloats(reader: BinaryReader, into: number[]): number[] {
  const bytes = reader.bytes();
  const n = bytes.byteLength >>> 2;
  if (bytes.byteLength !== 4 * n)
    throw new Error(`packed float field of ${bytes.byteLength} bytes (not a multiple of 4)`);
  const out = into.length === 0 ? new Array<number>(n) : into;
  const at = out === into ? into.length : 0;
  if (!LITTLE_ENDIAN) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < n; i++) out[at + i] = view.getFloat32(4 * i, true);
    return out;
  }
  let src = bytes;
  if (bytes.byteOffset % 4 !== 0) {
    if (readScratch.byteLength < bytes.byteLength)
      readScratch = new Uint8Array(Math.max(bytes.byteLength, 2 * readScratch.byteLength));
    readScratch.set(bytes);
    src = readScratch;
  }
  const f32 = new Float32Array(src.buffer, src.byteOffset, n);
  for (let i = 0; i < n; i++) out[at + i] = f32[i]!;
  return out;
}

/** Unknown field or end: what the generated decoders do with a tag they do not take. */
function skipOrEnd(reader: BinaryReader, tag: number): boolean {
  if ((tag & 7) === 4 || tag === 0) return true;
  reader.skip(tag & 7);
  return false;
}

/** UserFeatures, as its generated decoder reads it. */
export function decodeUserFeatures(reader: BinaryReader, length: number): UserFeatures {
  const end = reader.pos + length;
  const m: UserFeatures = { values: [], coldStart: false, stale: false };
  while (reader.pos < end) {
    const tag = reader.uint32();
    if (tag === 10) m.values = readPackedFloats(reader, m.values);
    else if (tag === 13) m.values.push(reader.float());
    else if (tag === 16) m.coldStart = reader.bool();
    else if (tag === 24) m.stale = reader.bool();
    else if (tag === 34) m.profile = UserProfile.decode(reader, reader.uint32());
    else if (skipOrEnd(reader, tag)) break;
  }
  return m;
}

/** CandidateFeatures, as its generated decoder reads it. */
export function decodeCandidateFeatures(reader: BinaryReader, length: number): CandidateFeatures {
  const end = reader.pos + length;
  const m: CandidateFeatures = {
    offerId: '',
    campaignId: '',
    itemId: '',
    values: [],
    coldStart: false,
  };
  while (reader.pos < end) {
    const tag = reader.uint32();
    if (tag === 10) m.offerId = reader.string();
    else if (tag === 18) m.campaignId = reader.string();
    else if (tag === 26) m.itemId = reader.string();
    else if (tag === 34) m.values = readPackedFloats(reader, m.values);
    else if (tag === 37) m.values.push(reader.float());
    else if (tag === 40) m.coldStart = reader.bool();
    else if (skipOrEnd(reader, tag)) break;
  }
  return m;
}

/** FeatureSet, as its generated decoder reads it. */
export function decodeFeatureSet(reader: BinaryReader, length: number): FeatureSet {
  const end = reader.pos + length;
  const m: FeatureSet = { featureSpecVersion: '', sequence: [], candidates: [] };
  while (reader.pos < end) {
    const tag = reader.uint32();
    if (tag === 10) m.featureSpecVersion = reader.string();
    else if (tag === 18) m.user = decodeUserFeatures(reader, reader.uint32());
    else if (tag === 26) m.sequence.push(SequenceEvent.decode(reader, reader.uint32()));
    else if (tag === 34) m.candidates.push(decodeCandidateFeatures(reader, reader.uint32()));
    else if (tag === 42) m.freshness = FeatureFreshness.decode(reader, reader.uint32());
    else if (skipOrEnd(reader, tag)) break;
  }
  return m;
}

/** GetFeaturesResponse, as its generated decoder reads it. */
export function decodeGetFeaturesResponse(bytes: Uint8Array): GetFeaturesResponse {
  const reader = new BinaryReader(bytes);
  const m: GetFeaturesResponse = {};
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    if (tag === 10) m.features = decodeFeatureSet(reader, reader.uint32());
    else if (skipOrEnd(reader, tag)) break;
  }
  return m;
}

/** ScoreRequest, as its generated decoder reads it. */
export function decodeScoreRequest(bytes: Uint8Array): ScoreRequest {
  const reader = new BinaryReader(bytes);
  const m: ScoreRequest = { modelName: '', modelVersion: '', returnShadow: false };
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    if (tag === 10) m.modelName = reader.string();
    else if (tag === 18) m.modelVersion = reader.string();
    else if (tag === 26) m.features = decodeFeatureSet(reader, reader.uint32());
    else if (tag === 32) m.returnShadow = reader.bool();
    else if (skipOrEnd(reader, tag)) break;
  }
  return m;
}

/** UserFeatures, as its generated encoder writes it. */
export function encodeUserFeatures(m: UserFeatures, w: BinaryWriter): BinaryWriter {
  writePackedFloats(w, 10, m.values);
  if (m.coldStart !== false) w.uint32(16).bool(m.coldStart);
  if (m.stale !== false) w.uint32(24).bool(m.stale);
  if (m.profile !== undefined) UserProfile.encode(m.profile, w.uint32(34).fork()).join();
  return w;
}

/** CandidateFeatures, as its generated encoder writes it. */
export function encodeCandidateFeatures(m: CandidateFeatures, w: BinaryWriter): BinaryWriter {
  if (m.offerId !== '') w.uint32(10).string(m.offerId);
  if (m.campaignId !== '') w.uint32(18).string(m.campaignId);
  if (m.itemId !== '') w.uint32(26).string(m.itemId);
  writePackedFloats(w, 34, m.values);
  if (m.coldStart !== false) w.uint32(40).bool(m.coldStart);
  return w;
}

/** FeatureSet, as its generated encoder writes it. */
export function encodeFeatureSet(m: FeatureSet, w: BinaryWriter): BinaryWriter {
  if (m.featureSpecVersion !== '') w.uint32(10).string(m.featureSpecVersion);
  if (m.user !== undefined) encodeUserFeatures(m.user, w.uint32(18).fork()).join();
  for (const s of m.sequence) SequenceEvent.encode(s, w.uint32(26).fork()).join();
  for (const c of m.candidates) encodeCandidateFeatures(c, w.uint32(34).fork()).join();
  if (m.freshness !== undefined) FeatureFreshness.encode(m.freshness, w.uint32(42).fork()).join();
  return w;
}

/**
 * One writer for every top-level encode: it keeps its grown buffer, where a new writer per
 * message would grow from a few bytes by doubling (an allocation and a copy each time, most
 * of the cost of a 9 KB answer). Encoding is synchronous; `finish()` copies the bytes out and
 * resets the writer, also when an encoder threw half-way.
 */
const shared = new BinaryWriter();
function encodeWith(write: (w: BinaryWriter) => void): Uint8Array {
  try {
    write(shared);
  } catch (err) {
    shared.finish();
    throw err;
  }
  return shared.finish();
}

/** A Buffer over the bytes `finish()` returned (its own copy: nothing else holds them). */
const asBuffer = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

/**
 * Any generated message type's encoding through the shared writer: the generated bytes,
 * without growing a new writer by doubling per message and copying its result once more.
 */
export function encodeShared<T>(
  type: { encode(m: T, w?: BinaryWriter): BinaryWriter },
  m: T,
): Buffer {
  return asBuffer(encodeWith((w) => type.encode(m, w)));
}

/** GetFeaturesResponse, as its generated encoder writes it. */
export function encodeGetFeaturesResponse(m: GetFeaturesResponse): Uint8Array {
  return encodeWith((w) => {
    if (m.features !== undefined) encodeFeatureSet(m.features, w.uint32(10).fork()).join();
  });
}

/** ScoreRequest, as its generated encoder writes it. */
export function encodeScoreRequest(m: ScoreRequest): Uint8Array {
  return encodeWith((w) => {
    if (m.modelName !== '') w.uint32(10).string(m.modelName);
    if (m.modelVersion !== '') w.uint32(18).string(m.modelVersion);
    if (m.features !== undefined) encodeFeatureSet(m.features, w.uint32(26).fork()).join();
    if (m.returnShadow !== false) w.uint32(32).bool(m.returnShadow);
  });
}

/** The FeatureService definition with GetFeatures answers encoded by `encodeGetFeaturesResponse`. */
export const FeatureServiceService = {
  ...GeneratedFeatureService,
  getFeatures: {
    ...GeneratedFeatureService.getFeatures,
    responseSerialize: (value: GetFeaturesResponse): Buffer =>
      asBuffer(encodeGetFeaturesResponse(value)),
  },
} as const satisfies typeof GeneratedFeatureService;

/**
 * The ScoringService definition with Score requests encoded by `encodeScoreRequest`, and
 * answers encoded by the generated encoder into the shared writer (an answer of 100 rows
 * would otherwise grow a new writer by doubling).
 */
export const ScoringServiceService = {
  ...GeneratedScoringService,
  score: {
    ...GeneratedScoringService.score,
    requestSerialize: (value: ScoreRequest): Buffer => asBuffer(encodeScoreRequest(value)),
    requestDeserialize: (value: Buffer): ScoreRequest => decodeScoreRequest(value),
    responseSerialize: (value: ScoreResponse): Buffer => encodeShared(ScoreResponse, value),
  },
} as const satisfies typeof GeneratedScoringService;
