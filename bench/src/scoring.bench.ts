/**
 * bench-scoring: ScoringService.Score against a raw onnxruntime `session.run` loop on the same
 * model, in one run: candidate-scores/s and p50/p99 latency for K = 20 and 100 candidates per
 * call at rising concurrency, for a small MLP and for a behaviour-sequence (BST-like) model.
 * The service runs as its own process; the load generator (this process) shares the cores.
 * First, the transport ceiling: the same load against a grpc-js server that does nothing
 * (noop.ts) — what no service on grpc-js can pass here.
 * BENCH_SECONDS (default 30) sizes every cell; the last line is key=value figures.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { env, loadConfig } from '@offerstream/config';
import {
  FeatureSet,
  grpcClient,
  ModelAnnouncement,
  ScoreRequest,
  ScoreResponse,
  ScoringServiceService,
  SERVICE_NAMES,
} from '@offerstream/contracts';
import { encodeRows, type InputPlan } from '@offerstream/features';
import {
  createKafka,
  IdempotentProducer,
  kafkaVars,
  provisionTopics,
  topicSpecs,
  TOPICS,
} from '@offerstream/kafka';
import { createLogger } from '@offerstream/logging';
import * as ort from 'onnxruntime-node';
import { BUCKETS, C, L, MODELS, spec, U, writeStore, type BenchModel } from './bench-models';
import { grpcFrame, h2Channels } from './h2-unary';
import { startNoopHop } from './noop';
import { percentile, printReport } from './report';
import { startService } from './service-process';

const THREADS = cpus().length;

/** A FeatureSet of K candidates with a full sequence, as GetFeatures returns it. */
function featureSet(k: number): FeatureSet {
  let s = 12345;
  const r = () => (s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32;
  return FeatureSet.fromPartial({
    featureSpecVersion: spec.version,
    user: { values: Array.from({ length: U }, r) },
    sequence: Array.from({ length: L }, (_, i) => ({
      itemId: `sku-${Math.floor(r() * 5000)}`,
      categoryId: `cat-${i % 7}`,
      type: 1 + (i % 6),
      ageSeconds: (L - i) * 600,
    })),
    candidates: Array.from({ length: k }, (_, i) => ({
      offerId: `o-${i}`,
      campaignId: 'c',
      values: Array.from({ length: C }, r),
    })),
  });
}

/** The raw baseline: session.run on pre-built tensors of `k` rows, back to back, for `ms`. */
async function rawLoop(m: BenchModel, k: number, ms: number) {
  const session = await ort.InferenceSession.create(m.bytes, {
    executionProviders: ['cpu'],
    intraOpNumThreads: THREADS,
    graphOptimizationLevel: 'all',
  });
  const fs = featureSet(k);
  const plan: InputPlan = { names: m.inputs, sequenceLength: L, idBuckets: BUCKETS };
  const enc = encodeRows(
    spec,
    plan,
    fs.user!.values,
    fs.candidates.map((c) => c.values),
    fs.sequence.map((e) => ({
      itemId: e.itemId,
      categoryId: e.categoryId,
      type: e.type,
      ageSeconds: e.ageSeconds,
    })),
  );
  const feeds: Record<string, ort.Tensor> = {};
  for (const n of m.inputs) {
    const d = enc.data[n]!;
    feeds[n] = new ort.Tensor(d instanceof Float32Array ? 'float32' : 'int64', d, [
      k,
      d.length / k,
    ]);
  }
  for (let i = 0; i < 20; i++) await session.run(feeds); // warm-up
  const lat: number[] = [];
  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    const s = performance.now();
    await session.run(feeds);
    lat.push(performance.now() - s);
  }
  const secs = (performance.now() - t0) / 1000;
  await session.release();
  lat.sort((a, b) => a - b);
  return {
    scoresPerS: (lat.length * k) / secs,
    p50: percentile(lat, 50),
    p99: percentile(lat, 99),
  };
}

/**
 * Closed-loop load: `concurrency` callers over 4 channels, each calling back to back for `ms`.
 * The load generator shares the 2 cores with the service, so it does as little as it can:
 * the request is encoded once and sent as bytes; one answer in 16 is decoded and checked
 * (its row count and the batch it rode in), the rest only for being a non-empty message.
 */
async function serviceLoop(
  port: number,
  k: number,
  concurrency: number,
  ms: number,
  client: 'h2' | 'grpc-js',
) {
  const channels = Math.min(4, concurrency);
  const clients =
    client === 'grpc-js'
      ? Array.from({ length: channels }, (_, i) =>
          grpcClient(ScoringServiceService, SERVICE_NAMES.scoring, `127.0.0.1:${port}`, {
            'grpc.channel_id': i,
          }),
        )
      : [];
  const h2 = client === 'h2' ? h2Channels(`127.0.0.1:${port}`, channels) : [];
  const path = ScoringServiceService.score.path;
  const bytes = Buffer.from(
    ScoreRequest.encode({
      modelName: '',
      modelVersion: '',
      features: featureSet(k),
      returnShadow: false,
    }).finish(),
  );
  const frame = grpcFrame(bytes);
  const asIs = (b: Buffer) => b;
  const lat: number[] = [];
  let errors = 0;
  let batchJobs = 0;
  let checked = 0;
  let n = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      const c = clients[w % channels]; // one of the two kinds is there
      const c2 = h2[w % channels];
      while (performance.now() - t0 < ms) {
        const s = performance.now();
        try {
          const res = c2
            ? await c2.call(path, frame, 5000)
            : await new Promise<Buffer>((resolve, reject) =>
                c!.makeUnaryRequest(
                  path,
                  asIs,
                  asIs,
                  bytes,
                  { deadline: new Date(Date.now() + 5000) },
                  (err, out) =>
                    err || !out ? reject(err ?? new Error('no answer')) : resolve(out),
                ),
              );
          lat.push(performance.now() - s);
          if (res.length === 0) throw new Error('empty answer');
          if (n++ % 16 === 0) {
            const decoded = ScoreResponse.decode(res);
            if (decoded.scores.length !== k) throw new Error(`${decoded.scores.length} rows`);
            batchJobs += decoded.latency?.batchSize ?? 1;
            checked++;
          }
        } catch {
          errors++;
        }
      }
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  for (const c of [...clients, ...h2]) c.close();
  lat.sort((a, b) => a - b);
  return {
    scoresPerS: (lat.length * k) / secs,
    p50: percentile(lat, 50),
    p99: percentile(lat, 99),
    errors,
    meanBatch: batchJobs / Math.max(1, checked),
  };
}

/**
 * The grpc-js transport ceiling: the same closed loop against a no-op hop (noop.ts: no
 * decode, no model, a pre-encoded answer of `k` rows) in its own process, best of 16 and 64
 * in flight. No scoring service on grpc-js can pass this rate on this machine.
 */
async function transportCeiling(
  k: number,
  ms: number,
  client: 'h2' | 'grpc-js',
): Promise<{ scoresPerS: number; concurrency: number }> {
  // What a scoring service answers for k candidates (the no-op hop sends it as is).
  const answer = ScoreResponse.encode(
    ScoreResponse.fromPartial({
      modelName: 'noop',
      modelVersion: 'v0',
      scores: Array.from({ length: k }, (_, i) => ({
        offerId: `offer-${i}`,
        campaignId: 'camp',
        pClick: 0.1,
        pPurchase: 0.2,
        pPurchaseGivenOffer: 0.2,
        pPurchaseNoOffer: 0.1,
        uplift: 0.1,
      })),
      latency: { batchSize: 1 },
    }),
  ).finish();
  const hop = await startNoopHop({ path: ScoringServiceService.score.path, answer });
  const port = hop.port;
  try {
    let best = { scoresPerS: 0, concurrency: 0 };
    for (const c of [16, 64]) {
      await serviceLoop(port, k, c, 300, client); // warm-up
      const r = await serviceLoop(port, k, c, ms, client);
      if (r.errors > 0) throw new Error(`no-op server: ${r.errors} errors at ${c} in flight`);
      if (r.scoresPerS > best.scoresPerS) best = { scoresPerS: r.scoresPerS, concurrency: c };
    }
    return best;
  } finally {
    hop.stop();
  }
}

async function main(): Promise<void> {
  const cfg = loadConfig(
    {
      ...kafkaVars,
      BENCH_SECONDS: env.int({ doc: 'Bench length', default: '30', min: 1, max: 3600 }),
      BENCH_CLIENT: env.oneOf(['h2', 'grpc-js'] as const, {
        doc: 'Load generator: raw HTTP/2 (h2-unary.ts, the lighter one on the shared cores) or grpc-js clients',
        default: 'h2',
      }),
    },
    { KAFKA_LOG_LEVEL: 'nothing', ...process.env },
  );
  const cellMs = Math.max(1500, (cfg.BENCH_SECONDS * 1000) / 10);
  const logger = createLogger({ service: 'bench-scoring', level: 'warn' });
  const kafka = createKafka(cfg, 'bench-scoring', logger);
  const prefix = `bench_scoring_${Date.now().toString(36)}.`;
  const admin = kafka.admin();
  await admin.connect();
  await provisionTopics(
    admin,
    topicSpecs(prefix).filter((t) => t.name.endsWith(TOPICS.models.name)),
    { replicationFactor: 1 },
  );
  const store = mkdtempSync(join(tmpdir(), 'bench-models-'));
  const producer = new IdempotentProducer(kafka);
  await producer.connect();
  for (const m of MODELS) {
    const a = writeStore(store, m);
    await producer.send(prefix + TOPICS.models.name, [
      { key: `${m.name}@v1`, value: Buffer.from(ModelAnnouncement.encode(a).finish()) },
    ]);
  }
  await producer.disconnect();

  const rows: (string | number)[][] = [
    [
      'model',
      'path',
      'K',
      'concurrency',
      'scores/s',
      'p50 ms',
      'p99 ms',
      'mean calls/batch',
      'errors',
    ],
  ];
  process.stdout.write('bench-scoring: transport ceiling (grpc-js no-op server), K=100 …\n');
  const ceiling = await transportCeiling(100, cellMs, cfg.BENCH_CLIENT);
  rows.push([
    'grpc-js no-op server (transport ceiling)',
    'Score, no decode, no model',
    100,
    ceiling.concurrency,
    Math.round(ceiling.scoresPerS),
    '',
    '',
    '',
    0,
  ]);
  const best: Record<string, Record<number, { raw: number; service: number }>> = {};
  for (const m of MODELS) {
    best[m.name] = {};
    for (const k of [20, 100]) {
      process.stdout.write(`bench-scoring: ${m.label}, raw session.run, K=${k} …\n`);
      const r = await rawLoop(m, k, cellMs);
      rows.push([
        m.label,
        'raw session.run',
        k,
        1,
        Math.round(r.scoresPerS),
        +r.p50.toFixed(3),
        +r.p99.toFixed(3),
        '-',
        0,
      ]);
      best[m.name]![k] = { raw: r.scoresPerS, service: 0 };
    }
    const svc = startService('scoring', `scoring/${m.name}`, {
      KAFKA_BROKERS: cfg.KAFKA_BROKERS.join(','),
      KAFKA_LOG_LEVEL: 'nothing',
      KAFKA_TOPIC_PREFIX: prefix,
      MODEL_STORE_URI: store,
      SCORING_MODEL_NAME: m.name,
      SCORING_EXECUTION_PROVIDER: 'cpu',
      LOG_LEVEL: 'info',
    });
    const { grpcPort } = await svc.serving;
    for (const k of [20, 100]) {
      for (const c of [1, 4, 16, 64]) {
        process.stdout.write(
          `bench-scoring: ${m.label}, ScoringService.Score, K=${k}, ${c} in flight …\n`,
        );
        await serviceLoop(grpcPort, k, c, 300, cfg.BENCH_CLIENT); // warm-up
        const s = await serviceLoop(grpcPort, k, c, cellMs, cfg.BENCH_CLIENT);
        rows.push([
          m.label,
          'ScoringService.Score',
          k,
          c,
          Math.round(s.scoresPerS),
          +s.p50.toFixed(3),
          +s.p99.toFixed(3),
          +s.meanBatch.toFixed(1),
          s.errors,
        ]);
        best[m.name]![k]!.service = Math.max(best[m.name]![k]!.service, s.scoresPerS);
      }
    }
    await svc.stop();
  }
  await admin.deleteTopics({ topics: [prefix + TOPICS.models.name] }).catch(() => undefined);
  await admin.disconnect();
  rmSync(store, { recursive: true, force: true });

  const mlp = best['bench-mlp']!;
  const seq = best['bench-seq']!;
  const overhead = mlp[100]!.raw / mlp[100]!.service;
  rows.push(['', '', '', '', '', '', '', '', '']);
  rows.push([
    'MLP: raw / service scores/s at K=100 (best concurrency)',
    '',
    100,
    '',
    +overhead.toFixed(2),
    '',
    '',
    '',
    '',
  ]);
  rows.push([
    'sequence: raw / service scores/s at K=100',
    '',
    100,
    '',
    +(seq[100]!.raw / seq[100]!.service).toFixed(2),
    '',
    '',
    '',
    '',
  ]);
  printReport(
    `bench-scoring — ScoringService.Score vs raw session.run, CPU (${THREADS} cores, load generator on the same machine: ${cfg.BENCH_CLIENT === 'h2' ? 'raw HTTP/2' : 'grpc-js'} client); targets: overhead ≤ 1.3×, MLP ≥ 1,000,000 scores/s, sequence ≥ 50,000/s`,
    rows,
    {
      overhead_vs_raw: overhead,
      mlp_scores_per_s: Math.round(mlp[100]!.service),
      seq_scores_per_s: Math.round(seq[100]!.service),
      noop_ceiling_scores_per_s: Math.round(ceiling.scoresPerS),
      mlp_share_of_ceiling: +(mlp[100]!.service / ceiling.scoresPerS).toFixed(2),
    },
  );
}

main().catch((err: unknown) => {
  process.stderr.write(
    `bench-scoring failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
