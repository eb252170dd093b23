import { Controller, Inject } from '@nestjs/common';
import {
  Event,
  IngestRequest,
  IngestResponse,
  IngestServiceControllerMethods,
  IngestSource,
  IngestStatus,
  type EventResult,
  type IngestServiceController,
} from '@offerstream/contracts';
import { CommonErrorCode, CommonException } from '@offerstream/grpc';
import { SERVICE_CONFIG } from '@offerstream/service-kit';
import type { IngestConfig } from './ingest.config';
import { IngestPipeline } from './ingest-pipeline.service';

/** Counts per status for the response summary. */
export function summarise(results: EventResult[]): IngestResponse {
  const count = (s: IngestStatus) => results.filter((r) => r.status === s).length;
  return {
    results,
    acceptedCount: count(IngestStatus.INGEST_STATUS_ACCEPTED),
    duplicateCount: count(IngestStatus.INGEST_STATUS_DUPLICATE),
    rejectedCount: count(IngestStatus.INGEST_STATUS_REJECTED),
  };
}

/** IngestService over gRPC: batched, one result per event, answered after Kafka acknowledged. */
@Controller()
@IngestServiceControllerMethods()
export class IngestController implements IngestServiceController {
  constructor(
    private readonly pipeline: IngestPipeline,
    @Inject(SERVICE_CONFIG) private readonly cfg: IngestConfig,
  ) {}

  async ingest(request: IngestRequest): Promise<IngestResponse> {
    const n = request.events.length;
    if (n === 0 || n > this.cfg.INGEST_MAX_REQUEST_EVENTS) {
      throw new CommonException(
        CommonErrorCode.INVALID_ARGUMENT,
        `a request carries 1..${this.cfg.INGEST_MAX_REQUEST_EVENTS} events (got ${n})`,
        {
          limit: String(this.cfg.INGEST_MAX_REQUEST_EVENTS),
        },
      );
    }
    return summarise(
      await this.pipeline.submit(
        // Nest's proto-loader gives null for unset message fields; fromPartial restores the generated shape.
        request.events.map((e) => Event.fromPartial(e)),
        IngestSource.INGEST_SOURCE_GRPC,
      ),
    );
  }
}
