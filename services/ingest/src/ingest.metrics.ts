import { RejectReason } from '@offerstream/contracts';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { IngestMetrics } from './ingest-pipeline.service';

/** Prometheus metrics of the ingest pipeline. */
export class PrometheusIngestMetrics implements IngestMetrics {
  private readonly receivedTotal: Counter<'source'>;
  private readonly acceptedTotal: Counter;
  private readonly duplicateTotal: Counter;
  private readonly rejectedTotal: Counter<'reason'>;
  private readonly batch: Histogram;
  private readonly insert: Histogram;
  readonly lag: Gauge<'topic' | 'partition'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.receivedTotal = new Counter({
      name: 'offerstream_ingest_events_received_total',
      help: 'Events received, by way in',
      labelNames: ['source'],
      registers,
    });
    this.acceptedTotal = new Counter({
      name: 'offerstream_ingest_events_valid_total',
      help: 'Valid events stored (ClickHouse and events.valid.v1)',
      registers,
    });
    this.duplicateTotal = new Counter({
      name: 'offerstream_ingest_events_duplicate_total',
      help: 'Events dropped as duplicates of stored ones',
      registers,
    });
    this.rejectedTotal = new Counter({
      name: 'offerstream_ingest_events_rejected_total',
      help: 'Events dead-lettered, by reason',
      labelNames: ['reason'],
      registers,
    });
    this.batch = new Histogram({
      name: 'offerstream_ingest_batch_size',
      help: 'Records per processed chunk',
      buckets: [1, 10, 50, 100, 500, 1000, 2000, 5000, 10000],
      registers,
    });
    this.insert = new Histogram({
      name: 'offerstream_ingest_clickhouse_insert_seconds',
      help: 'Latency of one ClickHouse insert',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.lag = new Gauge({
      name: 'offerstream_ingest_consumer_lag',
      help: 'Records behind the partition end at the last batch',
      labelNames: ['topic', 'partition'],
      registers,
    });
  }

  received(source: 'kafka' | 'grpc' | 'http', n: number): void {
    this.receivedTotal.inc({ source }, n);
  }
  accepted(n: number): void {
    this.acceptedTotal.inc(n);
  }
  duplicates(n: number): void {
    this.duplicateTotal.inc(n);
  }
  rejected(reason: RejectReason, n: number): void {
    this.rejectedTotal.inc({ reason: RejectReason[reason].replace('REJECT_REASON_', '') }, n);
  }
  batchSize(n: number): void {
    this.batch.observe(n);
  }
  insertSeconds(s: number): void {
    this.insert.observe(s);
  }
}
