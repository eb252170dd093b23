import { type ModelAnnouncement, RolloutStage } from '@offerstream/contracts';
import type { FeatureSpec } from '@offerstream/features';
import type { Logger } from '@offerstream/logging';
import { LoadedModel } from './loaded-model';
import type { MicroBatcherOptions } from './micro-batcher';
import { parseManifest, sha256 } from './model-manifest';
import type { ModelFiles } from './model-store.repository';
import type { ModelSession } from './onnx-session.repository';
import { ScoringErrorCode, ScoringException } from './scoring.exception';

export interface RegistryDeps {
  readonly spec: FeatureSpec;
  readonly modelName: string;
  readonly readFiles: (uri: string) => Promise<ModelFiles>;
  readonly createSession: (bytes: Uint8Array) => Promise<ModelSession>;
  readonly batching: MicroBatcherOptions;
  readonly rollbackErrors: number;
  readonly logger: Logger;
  readonly onEvent?: (
    event: 'loaded' | 'refused' | 'swapped' | 'rolled_back',
    model: string,
    detail?: { reason?: string; provider?: string },
  ) => void;
  readonly onRun?: (rows: number, ms: number) => void;
}

/** How long a newly swapped-in model is on probation (failures roll it back). */
const PROBATION_MS = 60_000;

/**
 * Which models serve: the PRODUCTION version of the configured model name, the last good
 * one kept for rollback, and SHADOW versions scored on a sample. Announcements (from the
 * compacted offerstream.models.v1) are applied one at a time, in order. A new version is
 * verified (sha256, feature spec, inputs, heads), loaded, warmed up and health-checked
 * before it is swapped in with one assignment — calls in flight finish on the model they
 * started with, so a swap fails no call. One that fails any check is refused and the current
 * model keeps serving; one that keeps failing after the swap is rolled back.
 */
export class ModelRegistry {
  private production: LoadedModel | undefined;
  private lastGood: LoadedModel | undefined;
  private readonly shadows = new Map<string, LoadedModel>();
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly d: RegistryDeps) {}

  /** The model that answers unpinned calls. */
  get current(): LoadedModel | undefined {
    return this.production;
  }

  get shadowModels(): LoadedModel[] {
    return [...this.shadows.values()];
  }

  /** A loaded model by version (production, last good, or shadow). */
  find(version: string): LoadedModel | undefined {
    for (const m of [this.production, this.lastGood, ...this.shadows.values()])
      if (m && m.version === version) return m;
    return undefined;
  }

  /** Resolves once every announcement queued so far has been applied. */
  settled(): Promise<void> {
    return this.chain;
  }

  /** Queues an announcement; resolves once it has been applied (or refused). */
  apply(a: ModelAnnouncement): Promise<void> {
    const next = this.chain.then(() => this.applyNow(a));
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async applyNow(a: ModelAnnouncement): Promise<void> {
    if (a.modelName !== this.d.modelName) return;
    const label = `${a.modelName}@${a.modelVersion}`;
    const stage = a.rollout?.stage ?? RolloutStage.ROLLOUT_STAGE_UNSPECIFIED;
    switch (stage) {
      case RolloutStage.ROLLOUT_STAGE_PRODUCTION:
        if (this.production?.version === a.modelVersion) return;
        await this.promote(a, label);
        return;
      case RolloutStage.ROLLOUT_STAGE_SHADOW:
      case RolloutStage.ROLLOUT_STAGE_CANARY:
        if (this.shadows.has(a.modelVersion)) return;
        try {
          this.shadows.set(a.modelVersion, await this.load(a));
          this.d.onEvent?.('loaded', label, {
            provider: this.shadows.get(a.modelVersion)?.session.provider,
          });
        } catch (err) {
          this.refused(label, err);
        }
        return;
      case RolloutStage.ROLLOUT_STAGE_RETIRED:
      case RolloutStage.ROLLOUT_STAGE_ROLLED_BACK:
      case RolloutStage.ROLLOUT_STAGE_UNSPECIFIED:
      case RolloutStage.UNRECOGNIZED: {
        const s = this.shadows.get(a.modelVersion);
        if (s) {
          this.shadows.delete(a.modelVersion);
          await s.unload();
        }
        return;
      }
    }
  }

  private refused(label: string, err: unknown): void {
    const reason = err instanceof Error ? err.message : String(err);
    this.d.logger.error({ model: label, reason }, 'model refused; the current model keeps serving');
    this.d.onEvent?.('refused', label, { reason });
  }

  private async promote(a: ModelAnnouncement, label: string): Promise<void> {
    let next: LoadedModel;
    try {
      next = await this.load(a);
    } catch (err) {
      this.refused(label, err);
      return;
    }
    const previous = this.production;
    this.production = next; // the swap: new calls go to `next`, calls in flight finish on `previous`
    const retired = this.lastGood;
    this.lastGood = previous;
    this.d.logger.info({ model: label, previous: previous?.label }, 'model swapped in');
    this.d.onEvent?.('swapped', label, { provider: next.session.provider });
    if (retired && retired !== previous) await retired.unload();
  }

  /** Reads, verifies, loads, warms up and health-checks one version. */
  private async load(a: ModelAnnouncement): Promise<LoadedModel> {
    const files = await this.d.readFiles(a.uri || `${a.modelName}/${a.modelVersion}`);
    const manifest = parseManifest(files.manifest, this.d.spec);
    const m = manifest.announcement;
    if (m.modelName !== a.modelName || m.modelVersion !== a.modelVersion)
      throw new ScoringException(
        ScoringErrorCode.MODEL_REFUSED,
        `model.json at ${files.path} is ${m.modelName}@${m.modelVersion}, not ${a.modelName}@${a.modelVersion}`,
      );
    const digest = sha256(files.onnx);
    for (const [who, want] of [
      ['the announcement', a.sha256],
      ['model.json', m.sha256],
    ] as const) {
      if (want && want !== digest)
        throw new ScoringException(
          ScoringErrorCode.MODEL_REFUSED,
          `checksum mismatch: model.onnx has sha256 ${digest}, ${who} says ${want}`,
        );
    }
    const session = await this.d.createSession(files.onnx);
    const missing = manifest.plan.names.filter((n) => !session.inputNames.includes(n));
    const outs = Object.values(manifest.heads).filter((o): o is string => !!o);
    const missingOut = outs.filter((o) => !session.outputNames.includes(o));
    if (missing.length || missingOut.length) {
      await session.release();
      throw new ScoringException(
        ScoringErrorCode.MODEL_REFUSED,
        `model.onnx does not match model.json (inputs missing: ${missing.join(', ') || 'none'}; outputs missing: ${missingOut.join(', ') || 'none'})`,
      );
    }
    const model = new LoadedModel(manifest, session, this.d.spec, this.d.batching, this.d.onRun);
    try {
      await model.healthCheck();
    } catch (err) {
      await model.unload();
      throw new ScoringException(
        ScoringErrorCode.MODEL_REFUSED,
        `health check failed: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    model.failures = 0;
    return model;
  }

  /**
   * Told after a failed run of `model`: a model swapped in less than a minute ago that
   * reaches the failure limit is rolled back to the last good one.
   */
  reportFailure(model: LoadedModel): void {
    if (model !== this.production || !this.lastGood) return;
    if (Date.now() - model.loadedAt > PROBATION_MS) return;
    if (model.failures < this.d.rollbackErrors) return;
    const bad = model;
    this.production = this.lastGood;
    this.lastGood = undefined;
    this.d.logger.error(
      { model: bad.label, restored: this.production.label, failures: bad.failures },
      'model rolled back to the last good one',
    );
    this.d.onEvent?.('rolled_back', bad.label);
    void bad.unload();
  }

  /** Looks up the model for a call (pinned version, or production). */
  resolve(name: string, version: string): LoadedModel {
    if (name && name !== this.d.modelName)
      throw new ScoringException(
        ScoringErrorCode.UNKNOWN_MODEL,
        `model ${JSON.stringify(name.slice(0, 80))} is not served here`,
      );
    if (version) {
      const m = this.find(version);
      if (!m)
        throw new ScoringException(
          ScoringErrorCode.UNKNOWN_MODEL,
          `version ${JSON.stringify(version.slice(0, 80))} of ${this.d.modelName} is not loaded`,
        );
      return m;
    }
    if (!this.production)
      throw new ScoringException(
        ScoringErrorCode.NO_MODEL,
        `no version of ${this.d.modelName} is loaded yet`,
      );
    return this.production;
  }

  async close(): Promise<void> {
    await this.chain;
    const all = new Set([this.production, this.lastGood, ...this.shadows.values()]);
    for (const m of all) if (m) await m.unload();
  }
}
