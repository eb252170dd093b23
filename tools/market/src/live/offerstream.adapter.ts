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

  async createCampaign(c: Campaign, reason: string): Promise<Campaign> {
    const res = await callUnary(
      this.campaigns.createCampaign.bind(this.campaigns),
      { campaign: c, changeReason: reason },
      { deadlineMs: 20_000 },
    );
    if (!res.campaign) throw new Error(`CreateCampaign returned no campaign for ${c.campaignId}`);
    return res.campaign;
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
