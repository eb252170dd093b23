import { BinaryWriter } from '@bufbuild/protobuf/wire';

/**
 * A tiny ONNX writer, so tests and benchmarks can build the models they serve without
 * Python: the ModelProto subset of onnx.proto (graph, nodes, attributes, raw-data tensors,
 * typed inputs/outputs) encoded field by field.
 */
export type ElemType = 'float' | 'int64';
const ELEM: Record<ElemType, number> = { float: 1, int64: 7 };

export interface OnnxNode {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attrs?: Readonly<Record<string, number | readonly number[] | string>>;
  /** Integer attributes (ONNX distinguishes int from float). */
  readonly intAttrs?: readonly string[];
}

export interface OnnxInitializer {
  readonly name: string;
  readonly dims: readonly number[];
  readonly data: Float32Array | BigInt64Array;
}

export interface OnnxValue {
  readonly name: string;
  readonly type: ElemType;
  /** Numbers are fixed dimensions, strings symbolic (dynamic) ones, e.g. 'batch'. */
  readonly shape: readonly (number | string)[];
}

export interface OnnxGraph {
  readonly nodes: readonly OnnxNode[];
  readonly initializers: readonly OnnxInitializer[];
  readonly inputs: readonly OnnxValue[];
  readonly outputs: readonly OnnxValue[];
  readonly opset?: number;
}

function valueInfo(w: BinaryWriter, v: OnnxValue): void {
  w.uint32((1 << 3) | 2).string(v.name);
  w.uint32((2 << 3) | 2).fork(); // TypeProto
  w.uint32((1 << 3) | 2).fork(); // Tensor
  w.uint32((1 << 3) | 0).int32(ELEM[v.type]);
  w.uint32((2 << 3) | 2).fork(); // TensorShapeProto
  for (const d of v.shape) {
    w.uint32((1 << 3) | 2).fork();
    if (typeof d === 'number') w.uint32((1 << 3) | 0).int64(d);
    else w.uint32((2 << 3) | 2).string(d);
    w.join();
  }
  w.join().join().join();
}

function tensor(w: BinaryWriter, t: OnnxInitializer): void {
  for (const d of t.dims) w.uint32((1 << 3) | 0).int64(d);
  w.uint32((2 << 3) | 0).int32(t.data instanceof Float32Array ? ELEM.float : ELEM.int64);
  w.uint32((8 << 3) | 2).string(t.name);
  w.uint32((9 << 3) | 2).bytes(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
}

function attribute(
  w: BinaryWriter,
  name: string,
  v: number | readonly number[] | string,
  int: boolean,
): void {
  w.uint32((1 << 3) | 2).string(name);
  if (typeof v === 'string') {
    w.uint32((4 << 3) | 2).bytes(new TextEncoder().encode(v));
    w.uint32((20 << 3) | 0).int32(3);
  } else if (typeof v === 'number') {
    if (int) w.uint32((3 << 3) | 0).int64(v);
    else w.uint32((2 << 3) | 5).float(v);
    w.uint32((20 << 3) | 0).int32(int ? 2 : 1);
  } else {
    for (const x of v) {
      if (int) w.uint32((8 << 3) | 0).int64(x);
      else w.uint32((7 << 3) | 5).float(x);
    }
    w.uint32((20 << 3) | 0).int32(int ? 7 : 6);
  }
}

/** Encodes a graph as an ONNX ModelProto (IR version 8). */
export function encodeOnnxModel(g: OnnxGraph): Uint8Array {
  const w = new BinaryWriter();
  w.uint32((1 << 3) | 0).int64(8); // ir_version
  w.uint32((2 << 3) | 2).string('offerstream-testing'); // producer_name
  w.uint32((8 << 3) | 2).fork(); // opset_import
  w.uint32((1 << 3) | 2).string('');
  w.uint32((2 << 3) | 0).int64(g.opset ?? 17);
  w.join();
  w.uint32((7 << 3) | 2).fork(); // graph
  g.nodes.forEach((n, i) => {
    w.uint32((1 << 3) | 2).fork();
    for (const x of n.inputs) w.uint32((1 << 3) | 2).string(x);
    for (const x of n.outputs) w.uint32((2 << 3) | 2).string(x);
    w.uint32((3 << 3) | 2).string(`${n.op.toLowerCase()}_${i}`);
    w.uint32((4 << 3) | 2).string(n.op);
    for (const [k, v] of Object.entries(n.attrs ?? {})) {
      w.uint32((5 << 3) | 2).fork();
      attribute(w, k, v, n.intAttrs?.includes(k) ?? false);
      w.join();
    }
    w.join();
  });
  w.uint32((2 << 3) | 2).string('graph');
  for (const t of g.initializers) {
    w.uint32((5 << 3) | 2).fork();
    tensor(w, t);
    w.join();
  }
  for (const v of g.inputs) {
    w.uint32((11 << 3) | 2).fork();
    valueInfo(w, v);
    w.join();
  }
  for (const v of g.outputs) {
    w.uint32((12 << 3) | 2).fork();
    valueInfo(w, v);
    w.join();
  }
  w.join();
  return w.finish();
}

/** Deterministic pseudo-random weights (mulberry32), scaled to ±scale. */
export function weights(n: number, seed: number, scale: number): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1) * scale;
  }
  return out;
}

/** The three heads every offerstream model outputs ([batch, 1] each). */
const HEADS: readonly OnnxValue[] = [
  { name: 'p_click', type: 'float', shape: ['batch', 1] },
  { name: 'p_purchase', type: 'float', shape: ['batch', 1] },
  { name: 'uplift', type: 'float', shape: ['batch', 1] },
];

function headNodes(
  hidden: string,
  width: number,
  seed: number,
): { nodes: OnnxNode[]; inits: OnnxInitializer[] } {
  const nodes: OnnxNode[] = [];
  const inits: OnnxInitializer[] = [];
  for (const [i, h] of HEADS.entries()) {
    inits.push({ name: `w_${h.name}`, dims: [width, 1], data: weights(width, seed + 10 + i, 0.3) });
    inits.push({ name: `b_${h.name}`, dims: [1], data: new Float32Array([0]) });
    nodes.push({ op: 'MatMul', inputs: [hidden, `w_${h.name}`], outputs: [`${h.name}_mm`] });
    nodes.push({
      op: 'Add',
      inputs: [`${h.name}_mm`, `b_${h.name}`],
      outputs: [`${h.name}_logit`],
    });
    nodes.push({
      op: h.name === 'uplift' ? 'Tanh' : 'Sigmoid',
      inputs: [`${h.name}_logit`],
      outputs: [h.name],
    });
  }
  return { nodes, inits };
}

/** An MLP over [user ‖ candidate] with the three heads: the scorer's small model. */
export function mlpModel(o: {
  userFeatures: number;
  candidateFeatures: number;
  hidden?: number;
  seed?: number;
}): Uint8Array {
  const hidden = o.hidden ?? 64;
  const seed = o.seed ?? 1;
  const d = o.userFeatures + o.candidateFeatures;
  const heads = headNodes('h1', hidden, seed);
  return encodeOnnxModel({
    inputs: [
      { name: 'user', type: 'float', shape: ['batch', o.userFeatures] },
      { name: 'candidate', type: 'float', shape: ['batch', o.candidateFeatures] },
    ],
    outputs: HEADS,
    initializers: [
      { name: 'w1', dims: [d, hidden], data: weights(d * hidden, seed, 1 / Math.sqrt(d)) },
      { name: 'b1', dims: [hidden], data: weights(hidden, seed + 1, 0.1) },
      ...heads.inits,
    ],
    nodes: [
      {
        op: 'Concat',
        inputs: ['user', 'candidate'],
        outputs: ['x'],
        attrs: { axis: 1 },
        intAttrs: ['axis'],
      },
      { op: 'MatMul', inputs: ['x', 'w1'], outputs: ['h1_mm'] },
      { op: 'Add', inputs: ['h1_mm', 'b1'], outputs: ['h1_pre'] },
      { op: 'Relu', inputs: ['h1_pre'], outputs: ['h1'] },
      ...heads.nodes,
    ],
  });
}

/**
 * A behaviour-sequence model in the spirit of BST: item and event-type embeddings of the
 * last `sequenceLength` events plus an age projection, one self-attention block, mean
 * pooling, then an MLP over [pooled ‖ user ‖ candidate] with the three heads.
 */
export function sequenceModel(o: {
  userFeatures: number;
  candidateFeatures: number;
  sequenceLength: number;
  itemBuckets: number;
  width?: number;
  hidden?: number;
  seed?: number;
}): Uint8Array {
  const dm = o.width ?? 32;
  const hidden = o.hidden ?? 64;
  const seed = o.seed ?? 7;
  const L = o.sequenceLength;
  const d = dm + o.userFeatures + o.candidateFeatures;
  const heads = headNodes('h1', hidden, seed);
  const f = (name: string, dims: number[], s: number, scale: number): OnnxInitializer => ({
    name,
    dims,
    data: weights(
      dims.reduce((a, b) => a * b, 1),
      s,
      scale,
    ),
  });
  return encodeOnnxModel({
    inputs: [
      { name: 'user', type: 'float', shape: ['batch', o.userFeatures] },
      { name: 'candidate', type: 'float', shape: ['batch', o.candidateFeatures] },
      { name: 'seq_item', type: 'int64', shape: ['batch', L] },
      { name: 'seq_type', type: 'int64', shape: ['batch', L] },
      { name: 'seq_age', type: 'float', shape: ['batch', L] },
    ],
    outputs: HEADS,
    initializers: [
      f('emb_item', [o.itemBuckets, dm], seed, 0.1),
      f('emb_type', [16, dm], seed + 1, 0.1),
      f('w_age', [1, dm], seed + 2, 0.1),
      f('wq', [dm, dm], seed + 3, 1 / Math.sqrt(dm)),
      f('wk', [dm, dm], seed + 4, 1 / Math.sqrt(dm)),
      f('wv', [dm, dm], seed + 5, 1 / Math.sqrt(dm)),
      { name: 'scale', dims: [], data: new Float32Array([1 / Math.sqrt(dm)]) },
      { name: 'age_axis', dims: [1], data: BigInt64Array.of(2n) },
      f('w1', [d, hidden], seed + 6, 1 / Math.sqrt(d)),
      f('b1', [hidden], seed + 7, 0.1),
      ...heads.inits,
    ],
    nodes: [
      {
        op: 'Gather',
        inputs: ['emb_item', 'seq_item'],
        outputs: ['e_item'],
        attrs: { axis: 0 },
        intAttrs: ['axis'],
      },
      {
        op: 'Gather',
        inputs: ['emb_type', 'seq_type'],
        outputs: ['e_type'],
        attrs: { axis: 0 },
        intAttrs: ['axis'],
      },
      { op: 'Unsqueeze', inputs: ['seq_age', 'age_axis'], outputs: ['age3'] },
      { op: 'MatMul', inputs: ['age3', 'w_age'], outputs: ['e_age'] },
      { op: 'Add', inputs: ['e_item', 'e_type'], outputs: ['e_it'] },
      { op: 'Add', inputs: ['e_it', 'e_age'], outputs: ['x'] },
      { op: 'MatMul', inputs: ['x', 'wq'], outputs: ['q'] },
      { op: 'MatMul', inputs: ['x', 'wk'], outputs: ['k'] },
      { op: 'MatMul', inputs: ['x', 'wv'], outputs: ['v'] },
      {
        op: 'Transpose',
        inputs: ['k'],
        outputs: ['kt'],
        attrs: { perm: [0, 2, 1] },
        intAttrs: ['perm'],
      },
      { op: 'MatMul', inputs: ['q', 'kt'], outputs: ['qk'] },
      { op: 'Mul', inputs: ['qk', 'scale'], outputs: ['qk_scaled'] },
      {
        op: 'Softmax',
        inputs: ['qk_scaled'],
        outputs: ['att'],
        attrs: { axis: -1 },
        intAttrs: ['axis'],
      },
      { op: 'MatMul', inputs: ['att', 'v'], outputs: ['ctx'] },
      {
        op: 'ReduceMean',
        inputs: ['ctx'],
        outputs: ['pooled'],
        attrs: { axes: [1], keepdims: 0 },
        intAttrs: ['axes', 'keepdims'],
      },
      {
        op: 'Concat',
        inputs: ['pooled', 'user', 'candidate'],
        outputs: ['z'],
        attrs: { axis: 1 },
        intAttrs: ['axis'],
      },
      { op: 'MatMul', inputs: ['z', 'w1'], outputs: ['h1_mm'] },
      { op: 'Add', inputs: ['h1_mm', 'b1'], outputs: ['h1_pre'] },
      { op: 'Relu', inputs: ['h1_pre'], outputs: ['h1'] },
      ...heads.nodes,
    ],
  });
}
