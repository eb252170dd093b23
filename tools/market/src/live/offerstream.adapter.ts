import {
  callUnary,
  CampaignServiceService,
  FeatureServiceService,
  grpcClient,
  OfferServiceService,
  SERVICE_NAMES,
  type Campaign,
  type CampaignStats,
  type FeatureSet,
  type GetFeaturesRequest,
  type GetOffersRequest,
  type GetOffersResponse,
} from '@offerstream/contracts';

/** gRPC status codes this client tells apart (grpc.status). */
const UNAVAILABLE = 14;
const NOT_FOUND = 5;

/** The service wrote a campaign change but could not confirm it in time. */
export function isUnconfirmedWrite(err: unknown): boolean {
  const e = (err ?? {}) as { code?: number; details?: string; message?: string };
  return (
    e.code === UNAVAILABLE &&
    `${e.details ?? ''} ${e.message ?? ''}`.includes('CAMPAIGN_WRITE_FAILED')
  );
}

/** Where the live services listen. */
export interface ServiceAddresses {
  /** bandit-policy: OfferService and CampaignService. */
  readonly offers: string;
  /** feature: FeatureService. */
  readonly features: string;
}

/**
 * The public gRPC APIs a storefront and an operator use: GetOffers, the campaign admin
 * calls and GetFeatures. Nothing else of the services is touched.
 */
export class OfferstreamClient {
  private readonly offers;
  private readonly campaigns;
  private readonly features;

  constructor(addrs: ServiceAddresses) {
    this.offers = grpcClient(OfferServiceService, SERVICE_NAMES.offers, addrs.offers);
    this.campaigns = grpcClient(CampaignServiceService, SERVICE_NAMES.campaigns, addrs.offers);
    this.features = grpcClient(FeatureServiceService, SERVICE_NAMES.features, addrs.features);
  }

  getOffers(req: GetOffersRequest, deadlineMs: number): Promise<GetOffersResponse> {
    return callUnary(this.offers.getOffers.bind(this.offers), req, { deadlineMs });
  }

  /**
   * CreateCampaign. A write the service reports as written but not confirmed in time
   * (UNAVAILABLE, CAMPAIGN_WRITE_FAILED) is read back, as the error asks, for up to
   * `confirmMs`: the campaign that shows up is returned, else the error is thrown.
   */
  async createCampaign(c: Campaign, reason: string, confirmMs = 30_000): Promise<Campaign> {
    let res;
    try {
      res = await callUnary(
        this.campaigns.createCampaign.bind(this.campaigns),
        { campaign: c, changeReason: reason },
        { deadlineMs: 20_000 },
      );
    } catch (err) {
      if (!isUnconfirmedWrite(err)) throw err;
      const found = await this.readBack(c.shopId, c.campaignId, confirmMs);
      if (found) return found;
      throw err;
    }
    if (!res.campaign) throw new Error(`CreateCampaign returned no campaign for ${c.campaignId}`);
    return res.campaign;
  }

  /** GetCampaign until the campaign is there or `waitMs` passed (undefined then). */
  private async readBack(
    shopId: string,
    campaignId: string,
    waitMs: number,
  ): Promise<Campaign | undefined> {
    const until = Date.now() + waitMs;
    for (;;) {
      try {
        const got = await callUnary(
          this.campaigns.getCampaign.bind(this.campaigns),
          { shopId, campaignId },
          { deadlineMs: 5_000 },
        );
        if (got.campaign) return got.campaign;
      } catch (err) {
        if ((err as { code?: number }).code !== NOT_FOUND) throw err;
      }
      if (Date.now() >= until) return undefined;
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  async campaignStats(shopId: string, campaignId: string): Promise<CampaignStats> {
    const res = await callUnary(
      this.campaigns.getCampaignStats.bind(this.campaigns),
      { shopId, campaignId },
      { deadlineMs: 10_000 },
    );
    if (!res.stats) throw new Error(`GetCampaignStats returned nothing for ${campaignId}`);
    return res.stats;
  }

  async getFeatures(req: GetFeaturesRequest, deadlineMs: number): Promise<FeatureSet> {
    const res = await callUnary(this.features.getFeatures.bind(this.features), req, {
      deadlineMs,
    });
    if (!res.features) throw new Error('GetFeatures returned no features');
    return res.features;
  }

  close(): void {
    this.offers.close();
    this.campaigns.close();
    this.features.close();
  }
}
