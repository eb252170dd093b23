/**
 * The bulk float encoders must write exactly the bytes of the generated (ts-proto) ones:
 * random messages — floats of every kind (NaN, ±Infinity, −0, subnormals, doubles that round
 * to float32), empty and long vectors, every optional sub-message present or not — are
 * encoded both ways and compared byte for byte, and decoded back by the generated decoder.
 */
import { BinaryWriter, FLOAT32_MAX } from '@bufbuild/protobuf/wire';
import fc from 'fast-check';
import {
  decodeGetFeaturesResponse,
  decodeScoreRequest,
  encodeGetFeaturesResponse,
  encodeScoreRequest,
  encodeShared,
  FeatureServiceService,
  ScoringServiceService,
  writePackedFloats,
} from './float-codecs';
import { type FeatureSet, FeatureSource, GetFeaturesResponse } from './gen/offerstream/v1/features';
import { UserTenure, ValueBand } from './gen/offerstream/v1/common';
import { EventType } from './gen/offerstream/v1/events';
import { ScoreRequest, ScoreResponse } from './gen/offerstream/v1/scoring';
import { Decision } from './gen/offerstream/v1/decisions';

const anyFloat = fc.oneof(
  fc.float(), // float32 values, NaN, ±Infinity, −0 included
  fc.double({ min: -FLOAT32_MAX, max: FLOAT32_MAX }), // doubles the encoder rounds
  fc.constantFrom(0, -0, 1e-45, -1e-45, FLOAT32_MAX, -FLOAT32_MAX),
);
const floats = (max: number) => fc.array(anyFloat, { maxLength: max });
const id = fc.oneof(
  fc.constant(''),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 6 }),
);
const date = fc.date({ min: new Date(0), max: new Date(4102444800000), noInvalidDate: true });

const featureSet: fc.Arbitrary<FeatureSet> = fc.record({
  featureSpecVersion: fc.constantFrom('', 'fs-1', 'fs-27'),
  user: fc.option(
    fc.record({
      values: floats(120),
      coldStart: fc.boolean(),
      stale: fc.boolean(),
      profile: fc.option(
        fc.record({
          segments: fc.array(id, { maxLength: 3 }),
          tenure: fc.constantFrom(
            ...(Object.values(UserTenure).filter(Number.isInteger) as UserTenure[]),
          ),
          valueBand: fc.constantFrom(
            ...(Object.values(ValueBand).filter(Number.isInteger) as ValueBand[]),
          ),
          churnRisk: fc.option(fc.double({ min: 0, max: 1 }), { nil: undefined }),
          country: fc.constantFrom('', 'DE', 'FR'),
        }),
        { nil: undefined },
      ),
    }),
    { nil: undefined },
  ),
  sequence: fc.array(
    fc.record({
      itemId: id,
      categoryId: id,
      type: fc.constantFrom(
        EventType.EVENT_TYPE_VIEW,
        EventType.EVENT_TYPE_PURCHASE,
        EventType.EVENT_TYPE_UNSPECIFIED,
      ),
      ageSeconds: fc.integer({ min: 0, max: 2 ** 40 }),
      priceMinor: fc.integer({ min: 0, max: 2 ** 40 }),
    }),
    { maxLength: 5 },
  ),
  candidates: fc.array(
    fc.record({
      offerId: id,
      campaignId: id,
      itemId: id,
      values: floats(60),
      coldStart: fc.boolean(),
    }),
    { maxLength: 8 },
  ),
  freshness: fc.option(
    fc.record({
      asOf: fc.option(date, { nil: undefined }),
      source: fc.constantFrom(
        FeatureSource.FEATURE_SOURCE_MEMORY,
        FeatureSource.FEATURE_SOURCE_DEFAULT,
      ),
      computedAt: fc.option(date, { nil: undefined }),
    }),
    { nil: undefined },
  ),
});

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('bulk float encoders', () => {
  it('write GetFeaturesResponse byte for byte as the generated encoder does', () => {
    fc.assert(
      fc.property(fc.option(featureSet, { nil: undefined }), (features) => {
        const m: GetFeaturesResponse = { features };
        const fast = encodeGetFeaturesResponse(m);
        expect(hex(fast)).toBe(hex(GetFeaturesResponse.encode(m).finish()));
        expect(GetFeaturesResponse.decode(fast)).toEqual(
          GetFeaturesResponse.decode(GetFeaturesResponse.encode(m).finish()),
        );
      }),
      { numRuns: 300 },
    );
  });

  it('write ScoreRequest byte for byte as the generated encoder does', () => {
    fc.assert(
      fc.property(
        fc.record({
          modelName: fc.constantFrom('', 'offer-uplift'),
          modelVersion: fc.constantFrom('', 'v1'),
          features: fc.option(featureSet, { nil: undefined }),
          returnShadow: fc.boolean(),
        }),
        (m: ScoreRequest) => {
          expect(hex(encodeScoreRequest(m))).toBe(hex(ScoreRequest.encode(m).finish()));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('refuse a finite value a float32 cannot hold, as the generated writer does', () => {
    for (const bad of [FLOAT32_MAX * 2, -1e39]) {
      expect(() => writePackedFloats(new BinaryWriter(), 10, [1, bad])).toThrow(/invalid float32/);
      expect(() => new BinaryWriter().float(bad)).toThrow(/invalid float32/);
    }
  });

  it('are what the FeatureService and ScoringService definitions serialize with', () => {
    const features: FeatureSet = {
      featureSpecVersion: 'fs-1',
      user: { values: [1.5, 2], coldStart: false, stale: true, profile: undefined },
      sequence: [],
      candidates: [
        { offerId: 'o', campaignId: 'c', itemId: '', values: [0.25, -3], coldStart: true },
      ],
      freshness: undefined,
    };
    const res = FeatureServiceService.getFeatures.responseSerialize({ features });
    expect(FeatureServiceService.getFeatures.responseDeserialize(res)).toEqual({ features });
    const req: ScoreRequest = { modelName: 'm', modelVersion: '', features, returnShadow: false };
    expect(
      ScoringServiceService.score.requestDeserialize(
        ScoringServiceService.score.requestSerialize(req),
      ),
    ).toEqual(req);
    // Answers through the shared writer: the generated bytes, one answer after another
    // (the writer is reset between them, also after an encoder threw half-way).
    const answer = (k: number) =>
      ScoreResponse.fromPartial({
        modelName: 'm',
        modelVersion: `v${k}`,
        scores: Array.from({ length: k }, (_, i) => ({ offerId: `o${i}`, pPurchase: i / k })),
      });
    for (const k of [100, 1, 0, 37]) {
      const bytes = ScoringServiceService.score.responseSerialize(answer(k));
      expect(hex(bytes)).toBe(hex(ScoreResponse.encode(answer(k)).finish()));
    }
    expect(() =>
      encodeGetFeaturesResponse({
        features: { ...features, user: { ...features.user!, values: [1e39] } },
      }),
    ).toThrow(/invalid float32/);
    expect(hex(ScoringServiceService.score.responseSerialize(answer(3)))).toBe(
      hex(ScoreResponse.encode(answer(3)).finish()),
    );
  });
});

describe('encodeShared', () => {
  it('writes the generated bytes of any message, one after another through the shared writer', () => {
    const decision = (k: number, n: number) =>
      Decision.fromPartial({
        decisionId: `d-${k}`,
        shopId: 'shop',
        userId: `u-${k}`,
        servedAt: new Date(1_700_000_000_000 + k),
        requestedSlots: 1,
        features: {
          featureSpecVersion: 'fs-1',
          user: { values: Array.from({ length: 75 }, (_, i) => i / 7), stale: k % 2 === 0 },
          candidates: Array.from({ length: n }, (_, j) => ({
            offerId: `o${j}`,
            campaignId: 'c',
            values: Array.from({ length: 33 }, (_, i) => (i - j) / 3),
          })),
        },
        candidates: Array.from({ length: n }, (_, j) => ({
          offerId: `o${j}`,
          campaignId: 'c',
          featureIndex: j,
          expectedValueMinor: j * 1.5,
          selectionProbability: 1 / Math.max(1, n),
          policyFeatures: [1, j, j * j],
        })),
        segment: 'returning/medium',
      });
    for (const [k, n] of [
      [1, 20],
      [2, 0],
      [3, 100],
      [4, 1],
    ] as const) {
      const d = decision(k, n);
      expect(hex(encodeShared(Decision, d))).toBe(hex(Decision.encode(d).finish()));
      expect(Decision.decode(encodeShared(Decision, d))).toEqual(
        Decision.decode(Decision.encode(d).finish()),
      );
    }
  });
});

describe('bulk float decoders', () => {
  it('read what the generated decoders read, packed floats at any byte alignment', () => {
    fc.assert(
      fc.property(fc.option(featureSet, { nil: undefined }), fc.nat(7), (features, shift) => {
        const bytes = GetFeaturesResponse.encode({ features }).finish();
        // Bytes at an odd offset of a larger buffer, as gRPC hands them over.
        const at = new Uint8Array(bytes.length + shift).subarray(shift);
        at.set(bytes);
        expect(decodeGetFeaturesResponse(at)).toEqual(GetFeaturesResponse.decode(bytes));
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(featureSet, fc.boolean(), (features, returnShadow) => {
        const m: ScoreRequest = { modelName: 'm', modelVersion: '', features, returnShadow };
        const bytes = ScoreRequest.encode(m).finish();
        expect(decodeScoreRequest(bytes)).toEqual(ScoreRequest.decode(bytes));
      }),
      { numRuns: 200 },
    );
  });

  it('take unpacked floats and skip unknown fields as the generated decoders do', () => {
    fc.assert(
      fc.property(fc.array(fc.float(), { maxLength: 6 }), fc.nat(1000), (values, unknown) => {
        // CandidateFeatures with its floats unpacked (tag 37 each) and an unknown field 9.
        const cand = new BinaryWriter();
        cand.uint32(10).string('o');
        for (const v of values) cand.uint32(37).float(v);
        cand.uint32(72).uint32(unknown);
        const user = new BinaryWriter();
        for (const v of values) user.uint32(13).float(v);
        user.uint32(16).bool(true).uint32(82).string('future field');
        const set = new BinaryWriter();
        set.uint32(18).bytes(user.finish()).uint32(34).bytes(cand.finish());
        set.uint32(160).uint32(unknown); // field 20, varint
        const bytes = new BinaryWriter().uint32(10).bytes(set.finish()).finish();
        const ours = decodeGetFeaturesResponse(bytes);
        expect(ours).toEqual(GetFeaturesResponse.decode(bytes));
        expect(ours.features?.candidates[0]?.values).toHaveLength(values.length);
      }),
      { numRuns: 100 },
    );
  });

  it('concatenate a float field given in several pieces, packed and unpacked', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.float(), { maxLength: 5 }), { maxLength: 4 }), (pieces) => {
        const cand = new BinaryWriter();
        pieces.forEach((p, i) => {
          if (i % 2 === 0) {
            const packed = new BinaryWriter();
            for (const v of p) packed.float(v);
            cand.uint32(34).bytes(packed.finish());
          } else for (const v of p) cand.uint32(37).float(v);
        });
        const set = new BinaryWriter().uint32(34).bytes(cand.finish());
        const bytes = new BinaryWriter().uint32(10).bytes(set.finish()).finish();
        const ours = decodeGetFeaturesResponse(bytes);
        expect(ours).toEqual(GetFeaturesResponse.decode(bytes));
        expect(ours.features?.candidates[0]?.values).toHaveLength(pieces.flat().length);
      }),
      { numRuns: 100 },
    );
  });

  it('refuse a packed float field whose length is not a multiple of 4', () => {
    const set = new BinaryWriter();
    set.uint32(34).bytes(new BinaryWriter().uint32(34).bytes(new Uint8Array(6)).finish());
    const bytes = new BinaryWriter().uint32(10).bytes(set.finish()).finish();
    expect(() => decodeGetFeaturesResponse(bytes)).toThrow(/not a multiple of 4/);
  });
});

describe('the shared writer', () => {
  it('starts clean after an encoder threw half-way', () => {
    const bad: GetFeaturesResponse = {
      features: {
        featureSpecVersion: 'fs-1',
        user: undefined,
        sequence: [],
        candidates: [
          { offerId: 'o', campaignId: 'c', itemId: '', values: [1, 1e39], coldStart: false },
        ],
        freshness: undefined,
      },
    };
    expect(() => encodeGetFeaturesResponse(bad)).toThrow(/invalid float32/);
    const ok: GetFeaturesResponse = { features: { ...bad.features!, candidates: [] } };
    expect(hex(encodeGetFeaturesResponse(ok))).toBe(hex(GetFeaturesResponse.encode(ok).finish()));
  });
});
