import {
  callUnary,
  FeatureServiceService,
  grpcClient,
  SERVICE_NAMES,
  type FeatureSet,
  type GrpcClientOf,
} from '@offerstream/contracts';
import type { FeaturePort } from '../decision/offer-decision.service';

/** FeatureService.GetFeatures over gRPC with the decision's time budget as deadline. */
export class FeatureAdapter implements FeaturePort {
  private readonly client: GrpcClientOf<typeof FeatureServiceService>;

  constructor(address: string) {
    this.client = grpcClient(FeatureServiceService, SERVICE_NAMES.features, address, {
      'grpc.keepalive_time_ms': 30_000,
    });
  }

  async getFeatures(
    req: Parameters<FeaturePort['getFeatures']>[0],
    timeoutMs: number,
  ): Promise<FeatureSet> {
    const res = await callUnary(
      this.client.getFeatures.bind(this.client),
      { ...req, featureSpecVersion: '', context: req.context },
      { deadlineMs: timeoutMs },
    );
    if (!res.features) throw new Error('GetFeatures answered without features');
    return res.features;
  }

  close(): void {
    this.client.close();
  }
}
