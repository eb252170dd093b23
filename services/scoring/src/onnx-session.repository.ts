import * as ort from 'onnxruntime-node';

/** Session options from configuration. */
export interface SessionOptions {
  /** Execution providers in order of preference, e.g. ['cuda', 'cpu']. */
  readonly providers: readonly string[];
  readonly intraOpThreads: number;
  readonly interOpThreads: number;
  readonly graphOptimization: 'disabled' | 'basic' | 'extended' | 'all';
  /** Worker threads spin between runs (onnxruntime's default) or sleep at once. */
  readonly spinWait?: boolean;
}

/** A tensor handed to or returned by a session. */
export interface TensorData {
  readonly data: Float32Array | BigInt64Array;
  readonly dims: readonly number[];
}

/** One loaded ONNX model (implemented over onnxruntime-node). */
export interface ModelSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** The execution provider that actually runs it. */
  readonly provider: string;
  run(feeds: Record<string, TensorData>): Promise<Record<string, TensorData>>;
  release(): Promise<void>;
}

/** The error a model file gets when onnxruntime cannot load it (corrupt, wrong opset, ...). */
export class ModelLoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelLoadError';
  }
}

/**
 * Creates sessions, trying the configured providers in order: a provider that is not
 * available here (no GPU, no CUDA libraries) is skipped with a reason, and the one that
 * loads is reported, so operators see what actually runs.
 */
export async function createSession(
  bytes: Uint8Array,
  opts: SessionOptions,
  onFallback: (provider: string, reason: string) => void = () => undefined,
): Promise<ModelSession> {
  let lastError: unknown;
  const supported = new Set(ort.listSupportedBackends().map((b) => b.name));
  for (const provider of opts.providers) {
    if (provider !== 'cpu' && !supported.has(provider)) {
      onFallback(provider, 'not supported by this onnxruntime build');
      continue;
    }
    try {
      const session = await ort.InferenceSession.create(bytes, {
        executionProviders: [provider],
        intraOpNumThreads: opts.intraOpThreads,
        interOpNumThreads: opts.interOpThreads,
        graphOptimizationLevel: opts.graphOptimization,
        ...(opts.spinWait === false
          ? {
              extra: {
                session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } },
              },
            }
          : {}),
      });
      return {
        inputNames: session.inputNames,
        outputNames: session.outputNames,
        provider,
        run: async (feeds) => {
          const t: Record<string, ort.Tensor> = {};
          for (const [k, v] of Object.entries(feeds))
            t[k] = new ort.Tensor(v.data instanceof Float32Array ? 'float32' : 'int64', v.data, [
              ...v.dims,
            ]);
          const out = await session.run(t);
          const res: Record<string, TensorData> = {};
          for (const [k, v] of Object.entries(out))
            res[k] = { data: v.data as Float32Array, dims: v.dims };
          return res;
        },
        release: () => session.release(),
      };
    } catch (err) {
      lastError = err;
      const reason = err instanceof Error ? err.message.slice(0, 300) : String(err);
      // A model that cannot be parsed fails the same way on every provider.
      if (/protobuf parsing failed|Load model|INVALID_PROTOBUF|INVALID_GRAPH/i.test(reason))
        throw new ModelLoadError(`the model does not load: ${reason}`);
      onFallback(provider, reason);
    }
  }
  throw new ModelLoadError(
    `no execution provider of [${opts.providers.join(', ')}] could load the model: ${
      lastError instanceof Error ? lastError.message.slice(0, 300) : String(lastError)
    }`,
  );
}
