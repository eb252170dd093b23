import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  callUnary,
  FeatureSet,
  grpcClient,
  ModelAnnouncement,
  RolloutStage,
  SERVICE_NAMES,
  ScoringServiceService,
  TaskHeadType,
  TensorDataType,
  type ScoreRequest,
  type ScoreResponse,
} from '@offerstream/contracts';
import { CURRENT_SPEC_VERSION, loadFeatureSpec } from '@offerstream/features';
import { IdempotentProducer, TOPICS, type Kafka } from '@offerstream/kafka';
import { startService, type RunningService } from '@offerstream/service-kit';
import { freshTopics, testKafka } from '../../../test/support/infra';
import { scoringVars } from '../src/scoring.config';
import { scoringStatusMapper } from '../src/scoring.exception';
import { ScoringModule } from '../src/scoring.module';

export const spec = loadFeatureSpec(CURRENT_SPEC_VERSION);
export const U = spec.user.length;
export const C = spec.candidate.length;

/** A model store in a temp directory. */
export function tempStore(): string {
  return mkdtempSync(join(tmpdir(), 'models-'));
}

export interface WrittenModel {
  readonly announcement: ModelAnnouncement;
  readonly onnx: Uint8Array;
}

/** Writes model.onnx + model.json under <store>/<name>/<version>/ and returns the announcement. */
export function writeModel(
  store: string,
  version: string,
  onnx: Uint8Array,
  over: {
    featureSpecVersion?: string;
    sha256?: string;
    onnxBytes?: Uint8Array;
    stage?: RolloutStage;
  } = {},
): WrittenModel {
  const dir = join(store, 'offer-uplift', version);
  mkdirSync(dir, { recursive: true });
  const bytes = over.onnxBytes ?? onnx;
  const digest = createHash('sha256').update(bytes).digest('hex');
  writeFileSync(join(dir, 'model.onnx'), bytes);
  const announcement = ModelAnnouncement.fromPartial({
    modelName: 'offer-uplift',
    modelVersion: version,
    uri: `offer-uplift/${version}/model.onnx`,
    sha256: over.sha256 ?? digest,
    featureSpecVersion: over.featureSpecVersion ?? spec.version,
    onnxOpset: 17,
    inputs: [
      { name: 'user', dataType: TensorDataType.TENSOR_DATA_TYPE_FLOAT32, shape: [-1, U] },
      { name: 'candidate', dataType: TensorDataType.TENSOR_DATA_TYPE_FLOAT32, shape: [-1, C] },
    ],
    outputs: ['p_click', 'p_purchase', 'uplift'].map((name) => ({
      name,
      dataType: TensorDataType.TENSOR_DATA_TYPE_FLOAT32,
      shape: [-1, 1],
    })),
    heads: [
      { type: TaskHeadType.TASK_HEAD_TYPE_CLICK, outputName: 'p_click' },
      { type: TaskHeadType.TASK_HEAD_TYPE_PURCHASE, outputName: 'p_purchase' },
      { type: TaskHeadType.TASK_HEAD_TYPE_UPLIFT, outputName: 'uplift' },
    ],
    rollout: { stage: over.stage ?? RolloutStage.ROLLOUT_STAGE_PRODUCTION, trafficShare: 1 },
  });
  writeFileSync(
    join(dir, 'model.json'),
    JSON.stringify(ModelAnnouncement.toJSON(announcement), null, 2),
  );
  return { announcement, onnx };
}

/** Announces a model on offerstream.models.v1 (key name@version, as the trainer does). */
export async function announce(kafka: Kafka, prefix: string, a: ModelAnnouncement): Promise<void> {
  const p = new IdempotentProducer(kafka);
  await p.connect();
  try {
    await p.send(prefix + TOPICS.models.name, [
      {
        key: `${a.modelName}@${a.modelVersion}`,
        value: Buffer.from(ModelAnnouncement.encode(a).finish()),
      },
    ]);
  } finally {
    await p.disconnect();
  }
}

export async function isolatedScoringEnv(store: string) {
  const kafka = testKafka();
  const { prefix } = await freshTopics(kafka, 1);
  const env = {
    KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '',
    KAFKA_LOG_LEVEL: 'error',
    KAFKA_TOPIC_PREFIX: prefix,
    MODEL_STORE_URI: store,
    SCORING_EXECUTION_PROVIDER: 'cpu',
    SCORING_INTRA_OP_THREADS: '1',
    GRPC_HOST: '127.0.0.1',
    GRPC_PORT: '0',
    HTTP_PORT: '0',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
  };
  return { kafka, prefix, env };
}

export function startScoring(
  env: Record<string, string>,
): Promise<RunningService<typeof scoringVars>> {
  return startService(
    {
      name: 'scoring',
      module: ScoringModule,
      grpcServices: [SERVICE_NAMES.scoring],
      env: scoringVars,
      errorMappers: [scoringStatusMapper],
    },
    env,
  );
}

export function scoringClient(port: number) {
  const client = grpcClient(ScoringServiceService, SERVICE_NAMES.scoring, `127.0.0.1:${port}`);
  return {
    score: (req: Partial<ScoreRequest>, deadlineMs = 10_000): Promise<ScoreResponse> =>
      callUnary(
        client.score.bind(client),
        { modelName: '', modelVersion: '', returnShadow: false, ...req },
        { deadlineMs },
      ),
    close: () => client.close(),
  };
}

/** A FeatureSet of `n` candidates with values drawn from `rand`. */
export function featureSet(n: number, rand: () => number = Math.random): FeatureSet {
  return FeatureSet.fromPartial({
    featureSpecVersion: spec.version,
    user: { values: Array.from({ length: U }, () => rand()) },
    candidates: Array.from({ length: n }, (_, i) => ({
      offerId: `o-${i}`,
      campaignId: 'c',
      values: Array.from({ length: C }, () => rand()),
    })),
  });
}
