import type { Metadata } from '@grpc/grpc-js';
import { Controller, Inject } from '@nestjs/common';
import {
  CampaignServiceControllerMethods,
  CampaignStatus,
  type CampaignServiceController,
  type CreateCampaignRequest,
  type CreateCampaignResponse,
  type EndCampaignRequest,
  type EndCampaignResponse,
  type GetCampaignRequest,
  type GetCampaignResponse,
  type GetCampaignStatsRequest,
  type GetCampaignStatsResponse,
  type ListCampaignsRequest,
  type ListCampaignsResponse,
  type PauseCampaignRequest,
  type PauseCampaignResponse,
  type ResumeCampaignRequest,
  type ResumeCampaignResponse,
  type UpdateCampaignRequest,
  type UpdateCampaignResponse,
} from '@offerstream/contracts';
import { idProblem } from '@offerstream/events';
import { CommonErrorCode, CommonException } from '@offerstream/grpc';
import { BANDIT_RUNTIME } from '../bandit.tokens';
import type { BanditRuntime } from '../bandit-runtime';

/** Metadata key naming who makes a change (the audit trail's changed_by). */
export const PRINCIPAL_HEADER = 'x-offerstream-principal';

function principal(meta: Metadata | undefined): string {
  const v = meta?.get(PRINCIPAL_HEADER)[0];
  const s = typeof v === 'string' ? v : '';
  return s !== '' && !idProblem(s) ? s : 'grpc-client';
}

function required<T>(v: T | undefined, field: string): T {
  if (v === undefined)
    throw new CommonException(CommonErrorCode.INVALID_ARGUMENT, `${field} is required`, { field });
  return v;
}

const reasonOf = (r: string) => r.slice(0, 1000);

/** CampaignService over gRPC. */
@Controller()
@CampaignServiceControllerMethods()
export class CampaignsController implements CampaignServiceController {
  constructor(@Inject(BANDIT_RUNTIME) private readonly rt: BanditRuntime) {}

  async createCampaign(
    req: CreateCampaignRequest,
    meta?: Metadata,
  ): Promise<CreateCampaignResponse> {
    const campaign = await this.rt.admin.create(
      required(req.campaign, 'campaign'),
      principal(meta),
      reasonOf(req.changeReason),
    );
    return { campaign };
  }

  async updateCampaign(
    req: UpdateCampaignRequest,
    meta?: Metadata,
  ): Promise<UpdateCampaignResponse> {
    const campaign = await this.rt.admin.update(
      required(req.campaign, 'campaign'),
      req.expectedVersion,
      principal(meta),
      reasonOf(req.changeReason),
    );
    return { campaign };
  }

  async pauseCampaign(req: PauseCampaignRequest, meta?: Metadata): Promise<PauseCampaignResponse> {
    return { campaign: await this.move(req, CampaignStatus.CAMPAIGN_STATUS_PAUSED, meta) };
  }

  async resumeCampaign(
    req: ResumeCampaignRequest,
    meta?: Metadata,
  ): Promise<ResumeCampaignResponse> {
    return { campaign: await this.move(req, CampaignStatus.CAMPAIGN_STATUS_ACTIVE, meta) };
  }

  async endCampaign(req: EndCampaignRequest, meta?: Metadata): Promise<EndCampaignResponse> {
    return { campaign: await this.move(req, CampaignStatus.CAMPAIGN_STATUS_ENDED, meta) };
  }

  private move(
    req: { shopId: string; campaignId: string; expectedVersion: number; changeReason: string },
    to: CampaignStatus,
    meta: Metadata | undefined,
  ) {
    return this.rt.admin.move(
      req.shopId,
      req.campaignId,
      to,
      req.expectedVersion,
      principal(meta),
      reasonOf(req.changeReason),
    );
  }

  getCampaign(req: GetCampaignRequest): GetCampaignResponse {
    return { campaign: this.rt.admin.get(req.shopId, req.campaignId) };
  }

  listCampaigns(req: ListCampaignsRequest): ListCampaignsResponse {
    if (req.shopId === '')
      throw new CommonException(CommonErrorCode.INVALID_ARGUMENT, 'shop_id is required', {
        field: 'shop_id',
      });
    return this.rt.admin.list(req.shopId, req.statuses, req.pageSize, req.pageToken);
  }

  async getCampaignStats(req: GetCampaignStatsRequest): Promise<GetCampaignStatsResponse> {
    return { stats: await this.rt.stats(req.shopId, req.campaignId) };
  }
}
