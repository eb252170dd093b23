import { status, type ServiceError } from '@grpc/grpc-js';
import { RolloutStage, type FeatureSet, type ScoreResponse } from '@offerstream/contracts';
import { encodeRows } from '@offerstream/features';
import type { Kafka } from '@offerstream/kafka';
import type { RunningService } from '@offerstream/service-kit';
import { encodeOnnxModel, expectEventually, mlpModel, weights } from '@offerstream/testing';
import fc from 'fast-check';
import { createSession, type ModelSession } from '../src/onnx-session.repository';
import type { scoringVars } from '../src/scoring.config';
import { ModelRegistry } from '../src/model-registry.service';
import {
  announce,
  C,
  featureSet,
  isolatedScoringEnv,
  scoringClient,
  spec,
  startScoring,
  tempStore,
  U,
  writeModel,
} from './support';

const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as ServiceError,
  );
const v1 = mlpModel({ userFeatures: U, candidateFeatures: C, seed: 1 });
const v2 = mlpModel({ userFeatures: U, candidateFeatures: C, seed: 2 });

/** Scores a FeatureSet directly with onnxruntime, one run, for comparison. */
async function reference(session: ModelSession, fs: FeatureSet): Promise<number[]> {
  const enc = encodeRows(
    spec,
    { names: ['user', 'candidate'], sequenceLength: 0, idBuckets: 2 },
    Float32Array.from(fs.user!.values),
    fs.candidates.map((c) => Float32Array.from(c.values)),
    [],
  );
  const out = await session.run({
    user: { data: enc.data.user!, dims: [enc.rows, U] },
    candidate: { data: enc.data.candidate!, dims: [enc.rows, C] },
  });
  return Array.from(out.p_purchase!.data as Float32Array);
}

/** A model that passes the warm-up (8 rows) but fails on any other batch size. */
function brittleModel(): Uint8Array {
  return encodeOnnxModel({
    inputs: [
      { name: 'user', type: 'float', shape: ['batch', U] },
      { name: 'candidate', type: 'float', shape: ['batch', C] },
    ],
    outputs: ['p_click', 'p_purchase', 'uplift'].map((name) => ({
      name,
      type: 'float' as const,
      shape: [8, 1],
    })),
    initializers: [
      { name: 'w', dims: [C, 1], data: weights(C, 3, 0.1) },
      { name: 'shape8', dims: [2], data: BigInt64Array.of(8n, 1n) },
    ],
    nodes: [
      { op: 'MatMul', inputs: ['candidate', 'w'], outputs: ['z'] },
      { op: 'Reshape', inputs: ['z', 'shape8'], outputs: ['z8'] },
      { op: 'Sigmoid', inputs: ['z8'], outputs: ['p_click'] },
      { op: 'Sigmoid', inputs: ['z8'], outputs: ['p_purchase'] },
      { op: 'Tanh', inputs: ['z8'], outputs: ['uplift'] },
    ],
  });
}

describe('ScoringService', () => {
  const store = tempStore();
  let kafka: Kafka;
  let prefix: string;
  let svc: RunningService<typeof scoringVars>;
  let env: Record<string, string>;
  let client: ReturnType<typeof scoringClient>;
  let ref1: ModelSession;
  let ref2: ModelSession;
  const registry = () => svc.app.get(ModelRegistry);

  beforeAll(async () => {
    const isolated = await isolatedScoringEnv(store);
    ({ kafka, prefix } = isolated);
    env = { ...isolated.env, SCORING_MAX_CANDIDATES: '1000' };
    await announce(kafka, prefix, writeModel(store, 'v1', v1).announcement);
    svc = await startScoring(env);
    client = scoringClient(svc.grpcPort);
    const opts = {
      providers: ['cpu'],
      intraOpThreads: 1,
      interOpThreads: 1,
      graphOptimization: 'all' as const,
    };
    ref1 = await createSession(v1, opts);
    // Sleeping worker threads (SCORING_SPIN_WAIT=false): the same answers.
    ref2 = await createSession(v2, { ...opts, spinWait: false });
  });

  afterAll(async () => {
    client?.close();
    await svc?.stop();
    await ref1?.release();
    await ref2?.release();
  });

  it('loads the production model announced before it started and says which provider runs it', async () => {
    const res = await client.score({ features: featureSet(3) });
    expect(res.modelVersion).toBe('v1');
    expect(res.scores).toHaveLength(3);
    expect(res.latency!.executionProvider).toBe('cpu');
    for (const s of res.scores) {
      expect(s.pClick).toBeGreaterThanOrEqual(0);
      expect(s.pClick).toBeLessThanOrEqual(1);
      expect(s.uplift).toBeGreaterThanOrEqual(-1);
    }
  });

  it('batches concurrent calls together and returns each caller its own rows', async () => {
    let batched = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ n: fc.integer({ min: 1, max: 20 }), seed: fc.integer() }), {
          minLength: 2,
          maxLength: 12,
        }),
        async (calls) => {
          const sets = calls.map(({ n, seed }) => {
            let s = seed >>> 0;
            const rand = () =>
              ((s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32) * 4 - 2;
            return featureSet(n, rand);
          });
          const answers = await Promise.all(sets.map((fs) => client.score({ features: fs })));
          for (const [i, a] of answers.entries()) {
            const want = await reference(ref1, sets[i]!);
            expect(a.scores.map((s) => s.offerId)).toEqual(
              sets[i]!.candidates.map((c) => c.offerId),
            );
            a.scores.forEach((s, k) => expect(s.pPurchase).toBeCloseTo(want[k]!, 5));
            if (a.latency!.batchSize > 1) batched++;
          }
        },
      ),
      { numRuns: 15 },
    );
    expect(batched).toBeGreaterThan(0); // calls really shared runs
  });

  it('refuses bad inputs with INVALID_ARGUMENT naming what is wrong', async () => {
    const short = featureSet(2);
    short.candidates[1]!.values.pop();
    const e1 = await failure(client.score({ features: short }));
    expect([e1?.code, e1?.details]).toEqual([
      status.INVALID_ARGUMENT,
      expect.stringContaining(
        `candidates[1].values has ${C - 1} values; feature spec ${spec.version} has ${C}`,
      ),
    ]);

    const nan = featureSet(1);
    nan.user!.values[spec.userIndex.get('u_spend_7d')!] = NaN;
    const e2 = await failure(client.score({ features: nan }));
    expect([e2?.code, e2?.details]).toEqual([
      status.INVALID_ARGUMENT,
      expect.stringMatching(/\(u_spend_7d\) is NaN/),
    ]);

    // 100,000 rows (13 MB) do not even pass the server's message size limit …
    const e3 = await failure(client.score({ features: featureSet(100_000, () => 0) }, 30_000));
    expect([e3?.code, e3?.details]).toEqual([
      status.RESOURCE_EXHAUSTED,
      expect.stringMatching(/larger than max \(\d+ vs \d+\)/),
    ]);
    // … and anything past the candidate limit is refused naming it.
    const e5 = await failure(client.score({ features: featureSet(1001, () => 0) }));
    expect([e5?.code, e5?.metadata.get('offerstream-limit')]).toEqual([
      status.INVALID_ARGUMENT,
      ['1000'],
    ]);

    const e4 = await failure(client.score({ features: featureSet(0) }));
    expect(e4?.code).toBe(status.INVALID_ARGUMENT);

    const other = featureSet(1);
    other.featureSpecVersion = 'fs-0';
    expect((await failure(client.score({ features: other })))?.code).toBe(
      status.FAILED_PRECONDITION,
    );
    expect(
      (await failure(client.score({ features: featureSet(1), modelVersion: 'v404' })))?.code,
    ).toBe(status.NOT_FOUND);
    expect(
      (await failure(client.score({ features: featureSet(1), modelName: 'other' })))?.code,
    ).toBe(status.NOT_FOUND);
    expect((await failure(client.score({ features: featureSet(1) }, 0)))?.code).toBe(
      status.DEADLINE_EXCEEDED,
    );
  });

  it('sheds load with RESOURCE_EXHAUSTED when the queue is full', async () => {
    // An instance whose batches wait long (200 ms) for company and whose queue holds 4,000
    // rows: ten calls of 900 rows arriving together cannot all wait.
    const slow = await startScoring({
      ...env,
      SCORING_MAX_QUEUE_DELAY_US: '200000',
      SCORING_MAX_BATCH_ROWS: '4000',
      SCORING_MAX_QUEUE_ROWS: '4000',
    });
    const c = scoringClient(slow.grpcPort);
    try {
      const calls = Array.from({ length: 10 }, () =>
        c.score({ features: featureSet(900, () => 0.1) }, 30_000).then(
          () => 'ok',
          (e: ServiceError) => [e.code, e.metadata.get('offerstream-limit')[0]],
        ),
      );
      const codes = await Promise.all(calls);
      expect(codes.filter((x) => x === 'ok')).toHaveLength(4);
      expect(codes.filter((x) => x !== 'ok')).toEqual(
        Array(6).fill([status.RESOURCE_EXHAUSTED, '4000']),
      );
    } finally {
      c.close();
      await slow.stop();
    }
  });

  it('refuses a corrupted file, a wrong checksum and another feature spec, and keeps serving the last good model', async () => {
    const bad = [
      // Garbage whose checksum is right: only loading it can tell.
      writeModel(store, 'corrupt', v2, { onnxBytes: Buffer.from('not an onnx model') }),
      writeModel(store, 'badsum', v2, { sha256: 'f'.repeat(64) }),
      writeModel(store, 'otherspec', v2, { featureSpecVersion: 'fs-1' }),
    ];
    for (const b of bad) await announce(kafka, prefix, b.announcement);
    await registry().settled();
    await expectEventually(
      async () =>
        expect(
          await svc.registry.getSingleMetricAsString('offerstream_scoring_model_events_total'),
        ).toMatch(/event="refused"[^}]*} 3/),
      { timeoutMs: 20_000 },
    );
    const res = await client.score({ features: featureSet(2) });
    expect(res.modelVersion).toBe('v1');
  });

  it('swaps in a new version under load without a failed call, each answer labelled with the model that scored it', async () => {
    const stop = { now: false };
    const answers: ScoreResponse[] = [];
    const errors: unknown[] = [];
    const load = Array.from({ length: 6 }, async () => {
      while (!stop.now) {
        const fs = featureSet(1 + Math.floor(Math.random() * 30));
        try {
          const a = await client.score({ features: fs });
          answers.push(a);
          const want = await reference(a.modelVersion === 'v2' ? ref2 : ref1, fs);
          a.scores.forEach((s, k) => {
            if (Math.abs(s.pPurchase - want[k]!) > 1e-5)
              errors.push(`${a.modelVersion} answer does not match its model`);
          });
        } catch (e) {
          errors.push(e);
        }
      }
    });
    try {
      await expectEventually(async () => expect(answers.length).toBeGreaterThan(50), {
        timeoutMs: 10_000,
      });
      await announce(kafka, prefix, writeModel(store, 'v2', v2).announcement);
      await expectEventually(
        async () =>
          expect(answers.filter((a) => a.modelVersion === 'v2').length).toBeGreaterThan(50),
        { timeoutMs: 20_000 },
      );
    } finally {
      stop.now = true;
      await Promise.all(load);
    }
    expect(errors).toEqual([]);
    expect(new Set(answers.map((a) => a.modelVersion))).toEqual(new Set(['v1', 'v2']));
    const firstV2 = answers.findIndex((a) => a.modelVersion === 'v2');
    expect(answers.slice(firstV2 + 20).every((a) => a.modelVersion === 'v2')).toBe(true);
  });

  it('rolls back to the last good model when a new one keeps failing after the swap', async () => {
    await announce(kafka, prefix, writeModel(store, 'brittle', brittleModel()).announcement);
    await expectEventually(async () => expect(registry().current?.version).toBe('brittle'), {
      timeoutMs: 20_000,
    });
    const codes: (number | string)[] = [];
    for (let i = 0; i < 5; i++)
      codes.push(
        await client.score({ features: featureSet(3) }).then(
          (a) => a.modelVersion,
          (e: ServiceError) => e.code,
        ),
      );
    expect(codes.slice(0, 3)).toEqual([status.INTERNAL, status.INTERNAL, status.INTERNAL]);
    expect(codes.slice(3)).toEqual(['v2', 'v2']);
    expect(
      await svc.registry.getSingleMetricAsString('offerstream_scoring_model_events_total'),
    ).toMatch(/event="rolled_back"[^}]*} 1/);
  });

  it('scores shadow models beside the production one when asked', async () => {
    await announce(
      kafka,
      prefix,
      writeModel(store, 'shadow1', v1, { stage: RolloutStage.ROLLOUT_STAGE_SHADOW }).announcement,
    );
    await expectEventually(
      async () => expect(registry().shadowModels.map((m) => m.version)).toEqual(['shadow1']),
      { timeoutMs: 20_000 },
    );
    const fs = featureSet(4);
    const res = await client.score({ features: fs, returnShadow: true });
    expect(res.modelVersion).toBe('v2');
    expect(res.shadow.map((s) => s.modelVersion)).toEqual(['shadow1']);
    const want = await reference(ref1, fs);
    res.shadow[0]!.scores.forEach((s, k) => expect(s.pPurchase).toBeCloseTo(want[k]!, 5));
  });
});
