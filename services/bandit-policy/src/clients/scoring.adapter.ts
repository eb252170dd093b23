import {
  callUnary,
  grpcClient,
  ScoringServiceService,
  SERVICE_NAMES,
  type FeatureSet,
  type GrpcClientOf,
  type ScoreResponse,
} from '@offerstream/contracts';
import type { ScoringPort } from '../decision/offer-decision.service';

/**
 * ScoringService.Score over gRPC. While the scorer says it has no model (UNAVAILABLE,
 * NOT_FOUND) calls are skipped for a while, so a cold-start deployment does not pay a
 * round trip per decision for nothing.
 */
export class ScoringAdapter implements ScoringPort {
  private readonly client: GrpcClientOf<typeof ScoringServiceService>;
  private skipUntil = 0;

  constructor(
    address: string,
    private readonly backoffMs = 2000,
  ) {
    this.client = grpcClient(ScoringServiceService, SERVICE_NAMES.scoring, address, {
      'grpc.keepalive_time_ms': 30_000,
    });
  }

  async score(modelName: string, features: FeatureSet, timeoutMs: number): Promise<ScoreResponse> {
    if (Date.now() < this.skipUntil) throw new Error('scoring skipped: no model recently');
    try {
      return await callUnary(
        this.client.score.bind(this.client),
        { modelName, modelVersion: '', features, returnShadow: false },
        { deadlineMs: timeoutMs },
      );
    } catch (err) {
      const code = (err as { code?: number }).code;
      // 5 NOT_FOUND, 14 UNAVAILABLE, 9 FAILED_PRECONDITION: no usable model right now.
      if (code === 5 || code === 14 || code === 9) this.skipUntil = Date.now() + this.backoffMs;
      throw err;
    }
  }

  close(): void {
    this.client.close();
  }
}
