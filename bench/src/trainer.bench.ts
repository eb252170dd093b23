/**
 * bench-trainer: the trainer on market-simulator data, then its model from Node.
 *
 * 1. A double-11 dataset from the market simulator (BENCH_TRAINER_USERS users) is loaded into
 *    a scratch ClickHouse database and the default model is trained on the CPU by the trainer
 *    (`python -m offerstream_trainer.bench`): training examples/s, model size, held-out AUC
 *    of the model and of LightGBM on the purchase head, ONNX/PyTorch parity.
 * 2. The exported model.onnx is scored with onnxruntime-node on batches of 100 candidates of
 *    one user (one GetOffers request), as the scorer feeds it: candidate-scores/s with one
 *    session on all cores, and with one single-threaded session per core.
 * BENCH_SECONDS (default 10) sizes each scoring cell; the last line is key=value figures.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { clickhouseVars } from '@offerstream/clickhouse';
import { env, loadConfig } from '@offerstream/config';
import {
  CURRENT_SPEC_VERSION,
  encodeRows,
  loadFeatureSpec,
  MODEL_INPUT_NAMES,
  type InputPlan,
  type SequenceInput,
} from '@offerstream/features';
import * as ort from 'onnxruntime-node';
import { percentile } from './report';
import { ROOT } from './service-process';

const spec = loadFeatureSpec(CURRENT_SPEC_VERSION);
const CORES = cpus().length;
const K = 100;

interface TrainerResult {
  readonly onnx: string;
  readonly sequence_length: number;
  readonly id_buckets: number;
  readonly rows: number;
  readonly training_rows_read_s: number;
  readonly train_examples_per_s: number;
  readonly model_bytes: number;
  readonly model_parameters: number;
  readonly onnx_max_abs_diff: number;
  readonly metrics: Record<string, number>;
}

/** One request's tensors: a user with a full sequence and K candidates. */
function feeds(plan: InputPlan): Record<string, ort.Tensor> {
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  const user = spec.user.map(() => rnd());
  const candidates = Array.from({ length: K }, () => spec.candidate.map(() => rnd()));
  const sequence: SequenceInput[] = Array.from({ length: plan.sequenceLength }, (_, i) => ({
    itemId: `sku-${i % 13}`,
    categoryId: `cat-${i % 4}`,
    type: 1 + (i % 10),
    ageSeconds: 600 * (plan.sequenceLength - i),
  }));
  const enc = encodeRows(spec, plan, user, candidates, sequence);
  const out: Record<string, ort.Tensor> = {};
  for (const n of plan.names) {
    const d = enc.data[n]!;
    out[n] = new ort.Tensor(d instanceof Float32Array ? 'float32' : 'int64', d, [K, d.length / K]);
  }
  return out;
}

/** `sessions` sessions of `threads` intra-op threads each, calling back to back for `ms`. */
async function scoreLoop(
  bytes: Uint8Array,
  plan: InputPlan,
  sessions: number,
  threads: number,
  ms: number,
) {
  const all = await Promise.all(
    Array.from({ length: sessions }, () =>
      ort.InferenceSession.create(bytes, {
        executionProviders: ['cpu'],
        intraOpNumThreads: threads,
        interOpNumThreads: 1,
        graphOptimizationLevel: 'all',
      }),
    ),
  );
  const f = feeds(plan);
  for (const s of all) for (let i = 0; i < 20; i++) await s.run(f); // warm-up
  const lat: number[] = [];
  const t0 = performance.now();
  await Promise.all(
    all.map(async (s) => {
      while (performance.now() - t0 < ms) {
        const t = performance.now();
        await s.run(f);
        lat.push(performance.now() - t);
      }
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  for (const s of all) await s.release();
  lat.sort((a, b) => a - b);
  return {
    scoresPerS: (lat.length * K) / secs,
    p50: percentile(lat, 50),
    p99: percentile(lat, 99),
  };
}

function fmt(x: number, digits = 0): string {
  return x.toLocaleString('en-US', {
    maximumFractionDigits: digits,
    minimumFractionDigits: digits,
  });
}

async function main(): Promise<void> {
  const cfg = loadConfig(
    {
      ...clickhouseVars,
      BENCH_SECONDS: env.int({
        doc: 'Length of each scoring cell',
        default: '10',
        min: 1,
        max: 3600,
      }),
      BENCH_TRAINER_USERS: env.int({
        doc: 'Simulated users',
        default: '6000',
        min: 100,
        max: 1_000_000,
      }),
      BENCH_TRAINER_EPOCHS: env.int({ doc: 'Training epochs', default: '8', min: 1, max: 1000 }),
    },
    process.env,
  );
  const dir = mkdtempSync(join(tmpdir(), 'bench-trainer-'));
  try {
    const dataset = join(dir, 'market.jsonl');
    process.stdout.write(`bench-trainer: market dataset, ${cfg.BENCH_TRAINER_USERS} users …\n`);
    execFileSync(
      'node',
      [
        join(ROOT, 'tools/market/dist/cli.js'),
        'dataset',
        '--scenario',
        'double-11',
        '--seed',
        '7',
        '--users',
        String(cfg.BENCH_TRAINER_USERS),
        '--end-ms',
        String(Date.now() - 86_400_000),
        '--out',
        dataset,
      ],
      { stdio: ['ignore', 'inherit', 'inherit'] },
    );
    process.stdout.write('bench-trainer: training the default model on the CPU …\n');
    const out = execFileSync(
      join(ROOT, '.local/trainer-venv/bin/python'),
      [
        '-m',
        'offerstream_trainer.bench',
        '--dataset',
        dataset,
        '--clickhouse-url',
        cfg.CLICKHOUSE_URL,
        '--out',
        join(dir, 'store'),
        '--epochs',
        String(cfg.BENCH_TRAINER_EPOCHS),
        '--threads',
        String(CORES),
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 24 },
    );
    const r = JSON.parse(out.trim().split('\n').pop()!) as TrainerResult;
    const bytes = readFileSync(r.onnx);
    const plan: InputPlan = {
      names: [...MODEL_INPUT_NAMES],
      sequenceLength: r.sequence_length,
      idBuckets: r.id_buckets,
    };
    const ms = cfg.BENCH_SECONDS * 1000;
    process.stdout.write(`bench-trainer: scoring batches of ${K} from Node …\n`);
    const one = await scoreLoop(bytes, plan, 1, CORES, ms);
    const perCore = await scoreLoop(bytes, plan, CORES, 1, ms);
    const best = Math.max(one.scoresPerS, perCore.scoresPerS);
    const m = r.metrics;
    // With the uplift forest in the graph (the default), the served purchase outputs are the
    // forest's; the sequence model's own purchase head is reported as heads_*.
    const seqAucPurchase = m.heads_auc_purchase ?? m.auc_purchase ?? NaN;
    const rows: (string | number)[][] = [
      ['what', 'value'],
      ['training rows (decisions x arms)', fmt(r.rows)],
      ['training examples/s (CPU, default config)', fmt(r.train_examples_per_s)],
      ['model parameters', fmt(r.model_parameters)],
      ['model.onnx bytes', fmt(r.model_bytes)],
      ['ONNX/PyTorch max abs diff', r.onnx_max_abs_diff.toExponential(2)],
      [
        'AUC purchase: sequence model / LightGBM / LR',
        [seqAucPurchase, m.gbdt_auc_purchase, m.lr_auc_purchase]
          .map((x) => fmt(x ?? NaN, 4))
          .join(' / '),
      ],
      ['AUC purchase: served (uplift forest)', fmt(m.auc_purchase ?? NaN, 4)],
      [
        'AUC click: model / LightGBM / LR',
        [m.auc_click, m.gbdt_auc_click, m.lr_auc_click].map((x) => fmt(x ?? NaN, 4)).join(' / '),
      ],
      [
        'Qini: model / two-model LightGBM',
        [m.qini, m.two_model_qini].map((x) => fmt(x ?? NaN, 4)).join(' / '),
      ],
      [
        `scores/s, K=${K}, 1 session x ${CORES} threads (p50/p99 ms)`,
        `${fmt(one.scoresPerS)} (${fmt(one.p50, 2)}/${fmt(one.p99, 2)})`,
      ],
      [
        `scores/s, K=${K}, ${CORES} sessions x 1 thread (p50/p99 ms)`,
        `${fmt(perCore.scoresPerS)} (${fmt(perCore.p50, 2)}/${fmt(perCore.p99, 2)})`,
      ],
    ];
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((x) => String(x[i]).length)));
    process.stdout.write('\nbench-trainer (target: >= 50,000 candidate-scores/s on 2 cores)\n');
    for (const x of rows)
      process.stdout.write('  ' + x.map((c, i) => String(c).padEnd(widths[i]!)).join('  ') + '\n');
    const figures: Record<string, string> = {
      train_examples_per_s: r.train_examples_per_s.toFixed(0),
      model_bytes: String(r.model_bytes),
      model_parameters: String(r.model_parameters),
      onnx_candidate_scores_per_s: best.toFixed(0),
      auc_purchase: seqAucPurchase.toFixed(4),
      auc_purchase_gbdt: (m.gbdt_auc_purchase ?? NaN).toFixed(4),
      served_auc_gain_vs_gbdt: ((m.auc_purchase ?? NaN) - (m.gbdt_auc_purchase ?? NaN)).toFixed(4),
      auc_gain_vs_gbdt: (seqAucPurchase - (m.gbdt_auc_purchase ?? NaN)).toFixed(4),
      onnx_max_abs_diff: r.onnx_max_abs_diff.toExponential(2),
    };
    process.stdout.write(
      Object.entries(figures)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ') + '\n',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(
    `bench-trainer failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
