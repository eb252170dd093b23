/** Small ONNX models the benchmarks serve (built in-process, no Python), and their model store. */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ModelAnnouncement, RolloutStage, TensorDataType } from '@offerstream/contracts';
import { CURRENT_SPEC_VERSION, loadFeatureSpec, type ModelInputName } from '@offerstream/features';
import { mlpModel, sequenceModel } from '@offerstream/testing';

export const spec = loadFeatureSpec(CURRENT_SPEC_VERSION);
export const U = spec.user.length;
export const C = spec.candidate.length;
export const L = spec.sequence.max_length;
export const BUCKETS = 100_003;

export interface BenchModel {
  readonly name: string;
  readonly label: string;
  readonly bytes: Uint8Array;
  readonly inputs: ModelInputName[];
}

export const MODELS: BenchModel[] = [
  {
    name: 'bench-mlp',
    label: 'MLP (108→64→3 heads)',
    bytes: mlpModel({ userFeatures: U, candidateFeatures: C, hidden: 64 }),
    inputs: ['user', 'candidate'],
  },
  {
    name: 'bench-seq',
    label: `sequence model (BST-like, L=${L}, d=32)`,
    bytes: sequenceModel({
      userFeatures: U,
      candidateFeatures: C,
      sequenceLength: L,
      itemBuckets: BUCKETS,
    }),
    inputs: ['user', 'candidate', 'seq_item', 'seq_type', 'seq_age'],
  },
];

export function writeStore(root: string, m: BenchModel): ModelAnnouncement {
  const dir = join(root, m.name, 'v1');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'model.onnx'), m.bytes);
  const seq = (name: string, t: TensorDataType) => ({ name, dataType: t, shape: [-1, L] });
  const a = ModelAnnouncement.fromPartial({
    modelName: m.name,
    modelVersion: 'v1',
    uri: `${m.name}/v1/model.onnx`,
    sha256: createHash('sha256').update(m.bytes).digest('hex'),
    featureSpecVersion: spec.version,
    inputs: [
      { name: 'user', dataType: TensorDataType.TENSOR_DATA_TYPE_FLOAT32, shape: [-1, U] },
      { name: 'candidate', dataType: TensorDataType.TENSOR_DATA_TYPE_FLOAT32, shape: [-1, C] },
      ...(m.inputs.includes('seq_item')
        ? [
            seq('seq_item', TensorDataType.TENSOR_DATA_TYPE_INT64),
            seq('seq_type', TensorDataType.TENSOR_DATA_TYPE_INT64),
            seq('seq_age', TensorDataType.TENSOR_DATA_TYPE_FLOAT32),
          ]
        : []),
    ],
    outputs: ['p_click', 'p_purchase', 'uplift'].map((name) => ({
      name,
      dataType: TensorDataType.TENSOR_DATA_TYPE_FLOAT32,
      shape: [-1, 1],
    })),
    rollout: { stage: RolloutStage.ROLLOUT_STAGE_PRODUCTION, trafficShare: 1 },
  });
  writeFileSync(
    join(dir, 'model.json'),
    JSON.stringify({ ...(ModelAnnouncement.toJSON(a) as object), sequence_id_buckets: BUCKETS }),
  );
  return a;
}
