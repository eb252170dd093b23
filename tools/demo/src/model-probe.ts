import {
  callUnary,
  grpcClient,
  ScoringServiceService,
  SERVICE_NAMES,
  type FeatureSet,
} from '@offerstream/contracts';

/**
 * Waits until the scoring service answers Score with the given model version — it loads
 * a version when the trainer's announcement arrives on offerstream.models.v1 — by scoring
 * a real feature set, as bandit-policy will. Resolves with the last error when it never does.
 */
export async function waitForModel(o: {
  readonly address: string;
  readonly modelName: string;
  readonly version: string;
  readonly features: FeatureSet;
  readonly timeoutMs: number;
}): Promise<{ ok: boolean; detail: string; ms: number }> {
  const client = grpcClient(ScoringServiceService, SERVICE_NAMES.scoring, o.address);
  const started = Date.now();
  let detail = 'no answer';
  try {
    while (Date.now() - started < o.timeoutMs) {
      try {
        const res = await callUnary(
          client.score.bind(client),
          { modelName: o.modelName, modelVersion: '', features: o.features, returnShadow: false },
          { deadlineMs: 5000 },
        );
        if (res.modelVersion === o.version)
          return {
            ok: true,
            detail: `${res.modelName}@${res.modelVersion} scores ${res.scores.length} candidates (uplift ${res.scores.map((s) => s.uplift.toFixed(3)).join(', ')})`,
            ms: Date.now() - started,
          };
        detail = `serving ${res.modelName}@${res.modelVersion}`;
      } catch (e) {
        detail = (e as Error).message;
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
    return { ok: false, detail, ms: Date.now() - started };
  } finally {
    client.close();
  }
}
