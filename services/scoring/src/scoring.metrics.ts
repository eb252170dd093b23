import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Prometheus metrics of the scoring service. */
export class ScoringMetrics {
  readonly provider: Gauge<'model' | 'provider'>;
  readonly batchRows: Histogram;
  readonly queueSeconds: Histogram;
  readonly inferenceSeconds: Histogram;
  readonly modelEvents: Counter<'event'>;
  readonly shadowDivergence: Histogram<'model'>;
  readonly refusedCalls: Counter<'reason'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.provider = new Gauge({
      name: 'offerstream_scoring_execution_provider',
      help: 'onnxruntime execution provider that runs each loaded model (value 1)',
      labelNames: ['model', 'provider'],
      registers,
    });
    this.batchRows = new Histogram({
      name: 'offerstream_scoring_batch_rows',
      help: 'Candidate rows per model run (micro-batch size)',
      buckets: [1, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000],
      registers,
    });
    this.queueSeconds = new Histogram({
      name: 'offerstream_scoring_queue_seconds',
      help: 'Time a call waited for its batch',
      buckets: [0.0001, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.05, 0.1],
      registers,
    });
    this.inferenceSeconds = new Histogram({
      name: 'offerstream_scoring_inference_seconds',
      help: 'Model run time per batch',
      buckets: [0.0001, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.05, 0.1, 0.5],
      registers,
    });
    this.modelEvents = new Counter({
      name: 'offerstream_scoring_model_events_total',
      help: 'Model lifecycle events: loaded (shadow), swapped, refused, rolled_back',
      labelNames: ['event'],
      registers,
    });
    this.shadowDivergence = new Histogram({
      name: 'offerstream_scoring_shadow_divergence',
      help: 'Mean |p_purchase(primary) − p_purchase(shadow)| per sampled call',
      labelNames: ['model'],
      buckets: [0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5],
      registers,
    });
    this.refusedCalls = new Counter({
      name: 'offerstream_scoring_refused_calls_total',
      help: 'Calls refused before scoring, by reason (overloaded, deadline, invalid)',
      labelNames: ['reason'],
      registers,
    });
  }
}
