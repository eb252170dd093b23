import { createHash } from 'node:crypto';
import { ModelAnnouncement, TaskHeadType, TensorDataType } from '@offerstream/contracts';
import {
  MODEL_INPUT_NAMES,
  type FeatureSpec,
  type InputPlan,
  type ModelInputName,
} from '@offerstream/features';
import { ScoringErrorCode, ScoringException } from './scoring.exception';

/** Heads the scorer reads, by the output that carries each. */
export interface HeadOutputs {
  readonly click: string | undefined;
  readonly purchase: string | undefined;
  readonly purchaseGivenOffer: string | undefined;
  readonly purchaseNoOffer: string | undefined;
  readonly uplift: string | undefined;
  readonly incrementalProfit: string | undefined;
}

/** model.json, checked against the service's feature spec. */
export interface ModelManifest {
  readonly announcement: ModelAnnouncement;
  readonly plan: InputPlan;
  readonly heads: HeadOutputs;
}

const DEFAULT_ID_BUCKETS = 100_003;

function refuse(message: string): never {
  throw new ScoringException(ScoringErrorCode.MODEL_REFUSED, message);
}

/** Hex sha256 of a file's bytes. */
export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Reads model.json (the ModelAnnouncement's JSON, snake_case or camelCase, plus
 * `sequence_id_buckets` for models with seq_item/seq_category inputs) and checks it against
 * the feature spec the service serves: same spec version, input widths equal to the spec's
 * vector lengths, only inputs the scorer knows how to fill, and the heads present.
 */
export function parseManifest(json: unknown, spec: FeatureSpec): ModelManifest {
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    refuse('model.json is not a JSON object');
  const raw = json as Record<string, unknown>;
  const a = ModelAnnouncement.fromJSON(raw);
  if (!a.modelName || !a.modelVersion) refuse('model.json lacks model_name or model_version');
  if (!/^[0-9a-f]{64}$/.test(a.sha256)) refuse('model.json lacks a sha256 of model.onnx');
  if (a.featureSpecVersion !== spec.version)
    refuse(
      `model ${a.modelName}@${a.modelVersion} was trained on feature spec ${JSON.stringify(a.featureSpecVersion)}; this service serves ${spec.version}`,
    );
  const names: ModelInputName[] = [];
  let L = 0;
  for (const t of a.inputs) {
    if (!(MODEL_INPUT_NAMES as readonly string[]).includes(t.name))
      refuse(
        `model input ${JSON.stringify(t.name)} is not one the scorer can fill (${MODEL_INPUT_NAMES.join(', ')})`,
      );
    const name = t.name as ModelInputName;
    const width = t.shape[1];
    const isInt = name === 'seq_item' || name === 'seq_category' || name === 'seq_type';
    const want = isInt
      ? TensorDataType.TENSOR_DATA_TYPE_INT64
      : TensorDataType.TENSOR_DATA_TYPE_FLOAT32;
    if (t.dataType !== want) refuse(`model input ${name} must be ${TensorDataType[want]}`);
    if (t.shape.length !== 2) refuse(`model input ${name} must be [batch, width]`);
    if (name === 'user' && width !== spec.user.length)
      refuse(
        `model input user is [batch, ${width}]; feature spec ${spec.version} has ${spec.user.length} user features`,
      );
    if (name === 'candidate' && width !== spec.candidate.length)
      refuse(
        `model input candidate is [batch, ${width}]; feature spec ${spec.version} has ${spec.candidate.length} candidate features`,
      );
    if (name.startsWith('seq_')) {
      if (!(width !== undefined && width > 0 && width <= spec.sequence.max_length))
        refuse(`model input ${name} needs a sequence length 1..${spec.sequence.max_length}`);
      if (L && L !== width) refuse('model sequence inputs disagree on their length');
      L = width;
    }
    names.push(name);
  }
  if (names.length === 0) refuse('model.json declares no inputs');
  const outputs = new Set(a.outputs.map((o) => o.name));
  const byType = new Map(a.heads.map((h) => [h.type, h.outputName]));
  const head = (t: TaskHeadType, fallback: string) => {
    const name = byType.get(t) ?? (outputs.has(fallback) ? fallback : undefined);
    if (name !== undefined && !outputs.has(name))
      refuse(`head ${TaskHeadType[t]} names unknown output ${name}`);
    return name;
  };
  const heads: HeadOutputs = {
    click: head(TaskHeadType.TASK_HEAD_TYPE_CLICK, 'p_click'),
    purchase: head(TaskHeadType.TASK_HEAD_TYPE_PURCHASE, 'p_purchase'),
    purchaseGivenOffer: head(
      TaskHeadType.TASK_HEAD_TYPE_PURCHASE_GIVEN_OFFER,
      'p_purchase_given_offer',
    ),
    purchaseNoOffer: head(TaskHeadType.TASK_HEAD_TYPE_PURCHASE_NO_OFFER, 'p_purchase_no_offer'),
    uplift: head(TaskHeadType.TASK_HEAD_TYPE_UPLIFT, 'uplift'),
    incrementalProfit: head(TaskHeadType.TASK_HEAD_TYPE_INCREMENTAL_PROFIT, 'incremental_profit'),
  };
  if (!heads.click || !(heads.purchase ?? heads.purchaseGivenOffer) || !heads.uplift)
    refuse('model needs click, purchase and uplift heads');
  const buckets = Number(raw.sequence_id_buckets ?? raw.sequenceIdBuckets ?? DEFAULT_ID_BUCKETS);
  if (!Number.isInteger(buckets) || buckets < 2)
    refuse('sequence_id_buckets must be an integer >= 2');
  return { announcement: a, plan: { names, sequenceLength: L, idBuckets: buckets }, heads };
}
