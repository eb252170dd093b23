import { Controller, Inject } from '@nestjs/common';
import {
  Channel,
  DeviceType,
  EventType,
  FeatureServiceControllerMethods,
  FeatureSource,
  PageType,
  UserTenure,
  ValueBand,
  type CandidateFeatures,
  type FeatureServiceController,
  type GetFeaturesRequest,
  type GetFeaturesResponse,
  type RequestContext,
  type SequenceEvent,
} from '@offerstream/contracts';
import { idProblem } from '@offerstream/events';
import {
  candidateContext,
  candidateFeatures,
  userFeatures,
  visibleSequence,
  type ContextInput,
  type FeatureSpec,
} from '@offerstream/features';
import { CommonErrorCode, CommonException, remainingMs } from '@offerstream/grpc';
import { SERVICE_CONFIG } from '@offerstream/service-kit';
import { CampaignCatalog } from './campaign-catalog.service';
import type { FeatureConfig } from './feature.config';
import { FeatureStateService, type Source } from './feature-state.service';
import { FeatureErrorCode, FeatureException } from './feature.exception';
import { FEATURE_METRICS, FEATURE_SPECS } from './feature.tokens';
import type { FeatureMetrics } from './feature.metrics';

const MAX_SEQUENCE_REQUEST = 200;
/** Time kept back from the caller's deadline for computing and sending the answer. */
const ANSWER_MARGIN_MS = 10;

const SOURCE: Record<Source, FeatureSource> = {
  memory: FeatureSource.FEATURE_SOURCE_MEMORY,
  clickhouse: FeatureSource.FEATURE_SOURCE_CLICKHOUSE,
  default: FeatureSource.FEATURE_SOURCE_DEFAULT,
};

const lower = (e: Record<number, string>, v: number | undefined, prefix: string) => {
  const n = v === undefined ? undefined : e[v];
  return typeof n === 'string' && !n.endsWith('_UNSPECIFIED')
    ? n.replace(prefix, '').toLowerCase()
    : '';
};

function bad(message: string, metadata?: Record<string, string>): CommonException {
  return new CommonException(CommonErrorCode.INVALID_ARGUMENT, message, metadata);
}

function checkId(field: string, value: string, required: boolean): void {
  if (value === '') {
    if (required) throw bad(`${field} is required`, { field });
    return;
  }
  const problem = idProblem(value);
  if (problem) throw bad(`${field} ${problem}`, { field });
}

/** A candidate's id by {@link checkId}; the field's name is built only when it is wrong. */
function checkCandidateId(i: number, key: string, value: string, required: boolean): void {
  if (value === '' ? required : idProblem(value) !== undefined)
    checkId(`candidates[${i}].${key}`, value, required);
}

function toContext(c: RequestContext | undefined | null): ContextInput {
  return {
    device: lower(DeviceType, c?.device, 'DEVICE_TYPE_'),
    channel: lower(Channel, c?.channel, 'CHANNEL_'),
    pageType: lower(PageType, c?.pageType, 'PAGE_TYPE_'),
    cartValueMinor: Math.max(0, Number(c?.cartValueMinor ?? 0)),
    cartItemIds: c?.cartItemIds ?? [],
  };
}

/** EventType of a sequence event's type name ('add_to_cart' → EVENT_TYPE_ADD_TO_CART), memoised. */
const EVENT_TYPES = new Map<string, EventType>();
function eventTypeOf(type: string): EventType {
  let t = EVENT_TYPES.get(type);
  if (t === undefined) {
    t =
      EventType[`EVENT_TYPE_${type.toUpperCase()}` as keyof typeof EventType] ??
      EventType.EVENT_TYPE_UNSPECIFIED;
    // The names come from the spec's event types, a small fixed set; bound it anyway.
    if (EVENT_TYPES.size < 64) EVENT_TYPES.set(type, t);
  }
  return t;
}

function valueBand(rfm: number): ValueBand {
  if (rfm < 0.5) return ValueBand.VALUE_BAND_LOW;
  if (rfm < 3) return ValueBand.VALUE_BAND_MEDIUM;
  if (rfm < 6) return ValueBand.VALUE_BAND_HIGH;
  return ValueBand.VALUE_BAND_TOP;
}

/** FeatureService over gRPC: one call, all candidates, never past the caller's deadline. */
@Controller()
@FeatureServiceControllerMethods()
export class FeaturesController implements FeatureServiceController {
  constructor(
    @Inject(SERVICE_CONFIG) private readonly cfg: FeatureConfig,
    @Inject(FEATURE_SPECS) private readonly specs: ReadonlyMap<string, FeatureSpec>,
    @Inject(FEATURE_METRICS) private readonly metrics: FeatureMetrics,
    private readonly state: FeatureStateService,
    private readonly catalog: CampaignCatalog,
  ) {}

  async getFeatures(
    req: GetFeaturesRequest,
    _meta?: unknown,
    call?: unknown,
  ): Promise<GetFeaturesResponse> {
    const spec = this.validate(req);
    const shopId = req.shopId;
    const candidates = req.candidates ?? [];
    const left = remainingMs(call);
    const budget = Math.min(this.cfg.FEATURE_LOAD_BUDGET_MS, left - ANSWER_MARGIN_MS);
    const started = Date.now();
    const user = await this.state.user(shopId, req.userId, budget);
    const cands = await this.state.candidates(
      shopId,
      candidates,
      (offerId) => this.catalog.get(shopId, offerId),
      budget - (Date.now() - started),
    );
    const asOf = Date.now();
    const ctx = toContext(req.context);
    const u = userFeatures(spec, user.state, ctx, asOf);
    const pre = candidateContext(spec, user.state, ctx, asOf);
    const out: CandidateFeatures[] = candidates.map((c, i) => {
      const r = candidateFeatures(pre, c, cands[i]!);
      return {
        offerId: c.offerId,
        campaignId: c.campaignId,
        itemId: c.itemId,
        values: r.values,
        coldStart: r.coldStart,
      };
    });
    const wanted = req.sequenceLength ?? spec.sequence.default_length;
    const seq = visibleSequence(spec, user.state, asOf).slice(-wanted || Infinity);
    const sequence: SequenceEvent[] = (wanted === 0 ? [] : seq).map((s) => ({
      itemId: s.itemId,
      categoryId: s.categoryId,
      type: eventTypeOf(s.type),
      ageSeconds: Math.max(0, Math.floor((asOf - s.timeMs) / 1000)),
      priceMinor: s.priceMinor,
    }));
    // No data at all behind the values: they are the spec's defaults.
    const source: Source =
      u.events30d === 0 && user.state.sequence.length === 0 ? 'default' : user.source;
    const stale = user.stale || cands.some((c) => c.stale);
    this.metrics.requests.inc({ source, stale: String(stale), cold_start: String(u.coldStart) });
    const at = (name: string) => u.values[spec.userIndex.get(name)!]!;
    return {
      features: {
        featureSpecVersion: spec.version,
        user: {
          values: Array.from(u.values),
          coldStart: u.coldStart,
          stale,
          profile: {
            segments: [],
            tenure:
              u.events30d === 0
                ? UserTenure.USER_TENURE_NEW
                : at('u_purchases_30d') > 0 || at('u_active_days_30d') * 30 >= 2
                  ? UserTenure.USER_TENURE_RETURNING
                  : UserTenure.USER_TENURE_NEW,
            valueBand: valueBand(at('u_rfm_value')),
            churnRisk: u.events30d === 0 ? undefined : at('u_churn_risk'),
            country: req.context?.country ?? '',
          },
        },
        sequence,
        candidates: out,
        freshness: {
          asOf: Number.isNaN(user.asOfMs) ? undefined : new Date(user.asOfMs),
          source: SOURCE[source],
          computedAt: new Date(asOf),
        },
      },
    };
  }

  private validate(req: GetFeaturesRequest): FeatureSpec {
    checkId('shop_id', req.shopId ?? '', true);
    checkId('user_id', req.userId ?? '', true);
    checkId('session_id', req.sessionId ?? '', false);
    const n = req.candidates?.length ?? 0;
    if (n > this.cfg.FEATURE_MAX_CANDIDATES)
      throw bad(`at most ${this.cfg.FEATURE_MAX_CANDIDATES} candidates per call (got ${n})`, {
        limit: String(this.cfg.FEATURE_MAX_CANDIDATES),
        field: 'candidates',
      });
    const cands = req.candidates ?? [];
    for (let i = 0; i < cands.length; i++) {
      const c = cands[i]!;
      checkCandidateId(i, 'offer_id', c.offerId ?? '', true);
      checkCandidateId(i, 'campaign_id', c.campaignId ?? '', true);
      checkCandidateId(i, 'item_id', c.itemId ?? '', false);
      checkCandidateId(i, 'category_id', c.categoryId ?? '', false);
    }
    const len = req.sequenceLength;
    if (len !== undefined && len !== null && (len < 0 || len > MAX_SEQUENCE_REQUEST))
      throw bad(`sequence_length must be 0..${MAX_SEQUENCE_REQUEST} (got ${len})`, {
        limit: String(MAX_SEQUENCE_REQUEST),
        field: 'sequence_length',
      });
    const version = req.featureSpecVersion || this.cfg.FEATURE_SPEC_VERSION;
    const spec = this.specs.get(version);
    if (!spec)
      throw new FeatureException(
        FeatureErrorCode.UNKNOWN_SPEC_VERSION,
        `feature spec ${JSON.stringify(version.slice(0, 40))} is not served here (served: ${[...this.specs.keys()].join(', ')})`,
      );
    return spec;
  }
}
