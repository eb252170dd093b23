import { Controller, Inject } from '@nestjs/common';
import {
  OfferServiceControllerMethods,
  type GetOffersRequest,
  type GetOffersResponse,
  type OfferServiceController,
} from '@offerstream/contracts';
import { idProblem, ISO_4217 } from '@offerstream/events';
import { CommonErrorCode, CommonException, remainingMs } from '@offerstream/grpc';
import { SERVICE_CONFIG } from '@offerstream/service-kit';
import type { BanditPolicyConfig } from '../bandit-policy.config';
import { BanditErrorCode, BanditException } from '../bandit.exception';
import { BANDIT_RUNTIME } from '../bandit.tokens';
import type { BanditRuntime } from '../bandit-runtime';

/** Below this much time left, not even a degraded answer can be made and logged. */
const MIN_DEADLINE_MS = 2;

function bad(message: string, field: string, extra: Record<string, string> = {}): CommonException {
  return new CommonException(CommonErrorCode.INVALID_ARGUMENT, message, { field, ...extra });
}

function checkId(field: string, value: string, required: boolean): void {
  if (value === '') {
    if (required) throw bad(`${field} is required`, field);
    return;
  }
  const p = idProblem(value);
  if (p) throw bad(`${field} ${p}`, field);
}

/** Validates a GetOffers request at the edge (ids, slots, context); throws INVALID_ARGUMENT naming the field. */
export function validateGetOffers(req: GetOffersRequest, maxSlots: number): void {
  checkId('shop_id', req.shopId ?? '', true);
  checkId('user_id', req.userId ?? '', true);
  checkId('session_id', req.sessionId ?? '', false);
  checkId('placement_id', req.placementId ?? '', false);
  const slots = req.slots ?? 0;
  if (!Number.isInteger(slots) || slots < 0 || slots > maxSlots)
    throw bad(`slots must be 1..${maxSlots} (0 = 1); got ${slots}`, 'slots', {
      limit: String(maxSlots),
    });
  if ((req.campaignIds ?? []).length > 100)
    throw bad('campaign_ids: at most 100', 'campaign_ids', { limit: '100' });
  (req.campaignIds ?? []).forEach((id, i) => checkId(`campaign_ids[${i}]`, id, true));
  const t = req.traits;
  if (t) {
    if ((t.segments ?? []).length > 50)
      throw bad('traits.segments: at most 50', 'traits.segments', { limit: '50' });
    (t.segments ?? []).forEach((id, i) => checkId(`traits.segments[${i}]`, id, true));
    const r = t.churnRisk;
    if (r !== undefined && !(Number.isFinite(r) && r >= 0 && r <= 1))
      throw bad('traits.churn_risk must be in [0, 1]', 'traits.churn_risk');
  }
  const c = req.context;
  if (!c) return;
  checkId('context.item_id', c.itemId ?? '', false);
  checkId('context.category_id', c.categoryId ?? '', false);
  if (Buffer.byteLength(c.searchQuery ?? '', 'utf8') > 512)
    throw bad('context.search_query is longer than 512 bytes', 'context.search_query', {
      limit: '512',
    });
  if ((c.cartValueMinor ?? 0) < 0)
    throw bad('context.cart_value_minor must be ≥ 0', 'context.cart_value_minor');
  if ((c.cartValueMinor ?? 0) > 0 && !ISO_4217.has(c.currency ?? ''))
    throw bad(
      'context.currency must be an ISO 4217 code when cart_value_minor is set',
      'context.currency',
    );
  if ((c.cartItemIds ?? []).length > 200)
    throw bad('context.cart_item_ids: at most 200', 'context.cart_item_ids', { limit: '200' });
  (c.cartItemIds ?? []).forEach((id, i) => checkId(`context.cart_item_ids[${i}]`, id, true));
  if (c.country && !/^[A-Z]{2}$/.test(c.country))
    throw bad('context.country must be ISO 3166-1 alpha-2 (e.g. "DE")', 'context.country');
}

/** OfferService over gRPC. */
@Controller()
@OfferServiceControllerMethods()
export class OffersController implements OfferServiceController {
  constructor(
    @Inject(SERVICE_CONFIG) private readonly cfg: BanditPolicyConfig,
    @Inject(BANDIT_RUNTIME) private readonly rt: BanditRuntime,
  ) {}

  async getOffers(
    req: GetOffersRequest,
    _meta?: unknown,
    call?: unknown,
  ): Promise<GetOffersResponse> {
    const now = Date.now();
    validateGetOffers(req, this.cfg.BANDIT_MAX_SLOTS);
    const left = remainingMs(call, now);
    const budget = Number.isFinite(left) ? left : this.cfg.BANDIT_DEFAULT_DEADLINE_MS;
    if (budget < MIN_DEADLINE_MS)
      throw new CommonException(
        CommonErrorCode.DEADLINE_EXCEEDED,
        `deadline too short to answer (${Math.max(0, Math.round(budget))} ms left; need ≥ ${MIN_DEADLINE_MS} ms)`,
      );
    if (!this.rt.catalogReady())
      throw new BanditException(
        BanditErrorCode.CATALOG_NOT_READY,
        'the campaign catalog is still loading; retry shortly',
      );
    return this.rt.decisions.decide(req, now + budget);
  }
}
