import type { EncodedRows, FeatureSpec, ModelInputName } from '@offerstream/features';
import { encodeRows } from '@offerstream/features';
import { MicroBatcher, type BatchInfo, type MicroBatcherOptions } from './micro-batcher';
import type { HeadOutputs, ModelManifest } from './model-manifest';
import type { ModelSession, TensorData } from './onnx-session.repository';

/** Per-row head values of one request. */
export interface HeadValues {
  readonly click: Float32Array;
  readonly purchase: Float32Array;
  readonly purchaseGivenOffer: Float32Array;
  readonly purchaseNoOffer: Float32Array | undefined;
  readonly uplift: Float32Array;
  readonly incrementalProfit: Float32Array | undefined;
}

interface Job {
  readonly rows: number;
  readonly deadline: number;
  readonly input: EncodedRows;
}

const INT_INPUTS: ReadonlySet<ModelInputName> = new Set(['seq_item', 'seq_category', 'seq_type']);

function widthOf(m: ModelManifest, spec: FeatureSpec, name: ModelInputName): number {
  if (name === 'user') return spec.user.length;
  if (name === 'candidate') return spec.candidate.length;
  return m.plan.sequenceLength;
}

/** Concatenates the jobs' rows input by input (one model run for all of them). */
function concat(
  m: ModelManifest,
  spec: FeatureSpec,
  jobs: readonly Job[],
): Record<string, TensorData> {
  const total = jobs.reduce((a, j) => a + j.rows, 0);
  const feeds: Record<string, TensorData> = {};
  for (const name of m.plan.names) {
    const w = widthOf(m, spec, name);
    const data = INT_INPUTS.has(name) ? new BigInt64Array(total * w) : new Float32Array(total * w);
    let at = 0;
    for (const j of jobs) {
      const part = j.input.data[name]!;
      (data as Float32Array).set(part as Float32Array, at);
      at += part.length;
    }
    feeds[name] = { data, dims: [total, w] };
  }
  return feeds;
}

function slice(out: Record<string, TensorData>, name: string | undefined, from: number, n: number) {
  if (!name) return undefined;
  const t = out[name];
  if (!t) throw new Error(`the model did not return output ${name}`);
  const per = t.dims.slice(1).reduce((a, b) => a * b, 1);
  if (per !== 1)
    throw new Error(`output ${name} must hold one value per row (dims ${t.dims.join('x')})`);
  return (t.data as Float32Array).slice(from, from + n);
}

function split(
  heads: HeadOutputs,
  out: Record<string, TensorData>,
  jobs: readonly Job[],
): HeadValues[] {
  let at = 0;
  return jobs.map((j) => {
    const s = (name: string | undefined) => slice(out, name, at, j.rows);
    const purchase = s(heads.purchase) ?? s(heads.purchaseGivenOffer)!;
    const r: HeadValues = {
      click: s(heads.click)!,
      purchase,
      purchaseGivenOffer: s(heads.purchaseGivenOffer) ?? purchase,
      purchaseNoOffer: s(heads.purchaseNoOffer),
      uplift: s(heads.uplift)!,
      incrementalProfit: s(heads.incrementalProfit),
    };
    at += j.rows;
    return r;
  });
}

/** A model in memory: its session and its own micro-batcher. */
export class LoadedModel {
  readonly batcher: MicroBatcher<Job, HeadValues>;
  readonly loadedAt = Date.now();
  /** Runs that failed (a new model that keeps failing is rolled back). */
  failures = 0;

  constructor(
    readonly manifest: ModelManifest,
    readonly session: ModelSession,
    readonly spec: FeatureSpec,
    batching: MicroBatcherOptions,
    private readonly onRun?: (rows: number, ms: number) => void,
  ) {
    this.batcher = new MicroBatcher((jobs) => this.runBatch(jobs), batching);
  }

  get name(): string {
    return this.manifest.announcement.modelName;
  }

  get version(): string {
    return this.manifest.announcement.modelVersion;
  }

  get label(): string {
    return `${this.name}@${this.version}`;
  }

  private async runBatch(jobs: Job[]): Promise<HeadValues[]> {
    const started = performance.now();
    try {
      const out = await this.session.run(concat(this.manifest, this.spec, jobs));
      const res = split(this.manifest.heads, out, jobs);
      this.onRun?.(
        jobs.reduce((a, j) => a + j.rows, 0),
        performance.now() - started,
      );
      return res;
    } catch (err) {
      this.failures++;
      throw err;
    }
  }

  /** Encodes a request for this model's inputs. */
  encode(
    user: ArrayLike<number>,
    candidates: readonly ArrayLike<number>[],
    sequence: Parameters<typeof encodeRows>[4],
  ): EncodedRows {
    return encodeRows(this.spec, this.manifest.plan, user, candidates, sequence);
  }

  score(input: EncodedRows, deadline: number): Promise<{ result: HeadValues; info: BatchInfo }> {
    return this.batcher.submit({ rows: input.rows, deadline, input });
  }

  /**
   * The health check before a model serves: a batch of spec-default rows must run and give
   * finite probabilities in [0, 1] and an uplift in [−1, 1].
   */
  async healthCheck(): Promise<void> {
    const user = this.spec.user.map((d) => d.default);
    const cand = this.spec.candidate.map((d) => d.default);
    const rows = 8;
    const input = this.encode(
      user,
      Array.from({ length: rows }, () => cand),
      [],
    );
    const { result } = await this.score(input, Infinity);
    const prob = (a: Float32Array, what: string) => {
      for (const v of a)
        if (!(Number.isFinite(v) && v >= 0 && v <= 1))
          throw new Error(`${what} gave ${v} on default features`);
    };
    prob(result.click, 'p_click');
    prob(result.purchase, 'p_purchase');
    for (const v of result.uplift)
      if (!(Number.isFinite(v) && v >= -1 && v <= 1))
        throw new Error(`uplift gave ${v} on default features`);
  }

  /** Stops taking work, waits for what is queued, releases the session. */
  async unload(): Promise<void> {
    this.batcher.stop();
    while (!this.batcher.idle) await new Promise((r) => setTimeout(r, 5));
    await this.session.release();
  }
}
