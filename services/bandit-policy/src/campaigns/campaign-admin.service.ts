import {
  CampaignChangeType,
  CampaignRecord,
  CampaignStatus,
  OfferStatus,
  type Campaign,
  type Offer,
} from '@offerstream/contracts';
import {
  campaignKey,
  type CampaignCatalog,
  type CatalogEntry,
  type RecordPosition,
} from '@offerstream/campaigns';
import { CommonErrorCode, CommonException } from '@offerstream/grpc';
import { BanditErrorCode, BanditException } from '../bandit.exception';
import { campaignProblems, canMove } from './campaign-validator';

/** Writes campaign records to the compacted topic (acks=all) and says where they landed. */
export interface CampaignLogPort {
  write(key: string, value: Buffer): Promise<RecordPosition>;
}

export interface CampaignAdminDeps {
  readonly catalog: CampaignCatalog;
  readonly log: CampaignLogPort;
  /** True once the catalog has read the topic as it was at start. */
  readonly ready: () => boolean;
  readonly now: () => number;
  readonly newId: () => string;
  /** How long a write waits to see itself folded into the catalog. */
  readonly confirmTimeoutMs: number;
}

function invalid(problems: { field: string; message: string }[]): CommonException {
  const text = problems.map((p) => `${p.field} ${p.message}`).join('; ');
  return new CommonException(
    CommonErrorCode.INVALID_ARGUMENT,
    `invalid campaign: ${text.slice(0, 2000)}`,
    { field: problems[0]?.field ?? '', problems: String(problems.length) },
  );
}

const notFound = (shopId: string, id: string) =>
  new BanditException(
    BanditErrorCode.CAMPAIGN_NOT_FOUND,
    `campaign ${JSON.stringify(id.slice(0, 128))} not found in shop ${JSON.stringify(shopId.slice(0, 128))}`,
  );

/**
 * CampaignService's writes. Every accepted change is one full-state record on the
 * compacted topic; a change is answered only once this replica's catalog has folded it
 * (read-your-writes), and only if it won: two replicas racing on the same version are
 * ordered by the log, the loser answers ABORTED and re-publishes the winner's record so
 * that compaction, which keeps the last record of a key, keeps the winner.
 * Writes to one campaign are serialised within a replica.
 */
export class CampaignAdminService {
  private readonly chains = new Map<string, Promise<unknown>>();

  constructor(private readonly d: CampaignAdminDeps) {}

  private ensureReady(): void {
    if (!this.d.ready())
      throw new BanditException(
        BanditErrorCode.CATALOG_NOT_READY,
        'the campaign catalog is still loading; retry shortly',
      );
  }

  private serialised<T>(key: string, work: () => Promise<T>): Promise<T> {
    const prev = this.chains.get(key) ?? Promise.resolve();
    const next = prev.then(work, work);
    const settled = next.then(
      () => undefined,
      () => undefined,
    );
    this.chains.set(key, settled);
    void settled.then(() => {
      if (this.chains.get(key) === settled) this.chains.delete(key);
    });
    return next;
  }

  async create(input: Campaign, changedBy: string, reason: string): Promise<Campaign> {
    this.ensureReady();
    const now = new Date(this.d.now());
    const campaignId = input.campaignId || `cmp-${this.d.newId().toLowerCase()}`;
    const status =
      input.status === CampaignStatus.CAMPAIGN_STATUS_UNSPECIFIED
        ? CampaignStatus.CAMPAIGN_STATUS_DRAFT
        : input.status;
    if (
      status !== CampaignStatus.CAMPAIGN_STATUS_DRAFT &&
      status !== CampaignStatus.CAMPAIGN_STATUS_ACTIVE
    )
      throw invalid([{ field: 'status', message: 'must be DRAFT or ACTIVE on create' }]);
    const c = this.normalise({ ...input, campaignId, status }, 1, now, now);
    const problems = [...campaignProblems(c), ...this.offerIdClashes(c)];
    if (problems.length > 0) throw invalid(problems);
    return this.serialised(campaignKey(c.shopId, c.campaignId), async () => {
      if (this.d.catalog.get(c.shopId, c.campaignId))
        throw new BanditException(
          BanditErrorCode.CAMPAIGN_EXISTS,
          `campaign ${JSON.stringify(c.campaignId)} already exists`,
        );
      return this.commit(c, CampaignChangeType.CAMPAIGN_CHANGE_TYPE_CREATED, changedBy, reason);
    });
  }

  async update(
    input: Campaign,
    expectedVersion: number,
    changedBy: string,
    reason: string,
  ): Promise<Campaign> {
    this.ensureReady();
    if (!(expectedVersion > 0))
      throw invalid([{ field: 'expected_version', message: 'is required (> 0)' }]);
    return this.serialised(campaignKey(input.shopId, input.campaignId), async () => {
      const held = this.current(input.shopId, input.campaignId);
      const cur = held.campaign;
      if (cur.status === CampaignStatus.CAMPAIGN_STATUS_ENDED)
        throw new BanditException(
          BanditErrorCode.ILLEGAL_TRANSITION,
          'an ENDED campaign cannot change',
        );
      this.checkVersion(cur, expectedVersion);
      if (
        input.holdoutGroup !== cur.holdoutGroup &&
        cur.status !== CampaignStatus.CAMPAIGN_STATUS_DRAFT
      )
        throw invalid([
          {
            field: 'holdout_group',
            message: `cannot change once the campaign has left DRAFT (it is ${JSON.stringify(cur.holdoutGroup)}; a new group would reshuffle its control group)`,
          },
        ]);
      // Offers left out are retired, not deleted (history and attribution keep them).
      const given = new Set(input.offers.map((o) => o.offerId).filter((id) => id !== ''));
      const retired = cur.offers
        .filter((o) => !given.has(o.offerId))
        .map((o) => ({ ...o, status: OfferStatus.OFFER_STATUS_RETIRED }));
      const next = this.normalise(
        { ...input, status: cur.status, offers: [...input.offers, ...retired] },
        cur.version + 1,
        cur.createdAt ?? new Date(this.d.now()),
        new Date(this.d.now()),
      );
      const problems = [...campaignProblems(next), ...this.offerIdClashes(next)];
      if (problems.length > 0) throw invalid(problems);
      return this.commit(next, CampaignChangeType.CAMPAIGN_CHANGE_TYPE_UPDATED, changedBy, reason);
    });
  }

  /** Pause, resume or end: a status move, a no-op when already there. */
  async move(
    shopId: string,
    campaignId: string,
    to: CampaignStatus,
    expectedVersion: number,
    changedBy: string,
    reason: string,
  ): Promise<Campaign> {
    this.ensureReady();
    return this.serialised(campaignKey(shopId, campaignId), async () => {
      const cur = this.current(shopId, campaignId).campaign;
      if (expectedVersion > 0) this.checkVersion(cur, expectedVersion);
      if (cur.status === to) return cur;
      // Resuming a DRAFT activates it (CampaignService.ResumeCampaign).
      if (!canMove(cur.status, to))
        throw new BanditException(
          BanditErrorCode.ILLEGAL_TRANSITION,
          `cannot move a ${CampaignStatus[cur.status]} campaign to ${CampaignStatus[to]}`,
          { from: CampaignStatus[cur.status], to: CampaignStatus[to] },
        );
      const next: Campaign = {
        ...cur,
        status: to,
        version: cur.version + 1,
        updatedAt: new Date(this.d.now()),
      };
      return this.commit(
        next,
        CampaignChangeType.CAMPAIGN_CHANGE_TYPE_STATUS_CHANGED,
        changedBy,
        reason,
      );
    });
  }

  get(shopId: string, campaignId: string): Campaign {
    this.ensureReady();
    return this.current(shopId, campaignId).campaign;
  }

  /** The shop's campaigns, newest first, filtered by status, paged by an opaque token. */
  list(
    shopId: string,
    statuses: readonly CampaignStatus[],
    pageSize: number,
    pageToken: string,
  ): { campaigns: Campaign[]; nextPageToken: string } {
    this.ensureReady();
    const size = pageSize === 0 ? 50 : pageSize;
    if (!(size >= 1 && size <= 500))
      throw invalid([{ field: 'page_size', message: 'must be 1..500' }]);
    let start = 0;
    if (pageToken !== '') {
      const n = Number(Buffer.from(pageToken, 'base64url').toString('utf8'));
      if (!Number.isInteger(n) || n < 0)
        throw invalid([{ field: 'page_token', message: 'is not a token this service issued' }]);
      start = n;
    }
    const all = this.d.catalog
      .list(shopId)
      .map((e) => e.campaign)
      .filter((c) => statuses.length === 0 || statuses.includes(c.status))
      .sort(
        (a, b) =>
          (b.createdAt?.getTime() ?? 0) - (a.createdAt?.getTime() ?? 0) ||
          (a.campaignId < b.campaignId ? -1 : 1),
      );
    const page = all.slice(start, start + size);
    const next =
      start + size < all.length ? Buffer.from(String(start + size)).toString('base64url') : '';
    return { campaigns: page, nextPageToken: next };
  }

  private current(shopId: string, campaignId: string): CatalogEntry {
    if (shopId === '') throw invalid([{ field: 'shop_id', message: 'is required' }]);
    if (campaignId === '') throw invalid([{ field: 'campaign_id', message: 'is required' }]);
    const e = this.d.catalog.get(shopId, campaignId);
    if (!e) throw notFound(shopId, campaignId);
    return e;
  }

  private checkVersion(cur: Campaign, expected: number): void {
    if (cur.version !== expected)
      throw new BanditException(
        BanditErrorCode.VERSION_CONFLICT,
        `campaign is at version ${cur.version}, not ${expected}: re-read and retry`,
        { current_version: String(cur.version) },
      );
  }

  /** Offer ids must be unique within a shop (events name offers by id). */
  private offerIdClashes(c: Campaign): { field: string; message: string }[] {
    const out: { field: string; message: string }[] = [];
    c.offers.forEach((o, i) => {
      const other = this.d.catalog.offer(c.shopId, o.offerId);
      if (other && other.entry.campaign.campaignId !== c.campaignId)
        out.push({
          field: `offers[${i}].offer_id`,
          message: `is already used by campaign ${JSON.stringify(other.entry.campaign.campaignId)}`,
        });
    });
    return out;
  }

  private normalise(c: Campaign, version: number, createdAt: Date, updatedAt: Date): Campaign {
    const currency = c.budget?.currency ?? '';
    const offers: Offer[] = c.offers.map((o, i) => ({
      ...o,
      offerId: o.offerId || `${c.campaignId}-o${i + 1}`,
      campaignId: c.campaignId,
      currency,
      status:
        o.status === OfferStatus.OFFER_STATUS_UNSPECIFIED
          ? OfferStatus.OFFER_STATUS_ACTIVE
          : o.status,
    }));
    return { ...c, offers, version, createdAt, updatedAt };
  }

  private async commit(
    c: Campaign,
    change: CampaignChangeType,
    changedBy: string,
    reason: string,
  ): Promise<Campaign> {
    const key = campaignKey(c.shopId, c.campaignId);
    const value = Buffer.from(
      CampaignRecord.encode({
        campaign: c,
        changeType: change,
        changedBy,
        changeReason: reason,
        changedAt: new Date(this.d.now()),
      }).finish(),
    );
    let at: RecordPosition;
    try {
      at = await this.d.log.write(key, value);
    } catch (err) {
      throw new BanditException(
        BanditErrorCode.CAMPAIGN_WRITE_FAILED,
        `campaign change could not be written: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    if (!(await this.d.catalog.waitFor(at, this.d.confirmTimeoutMs)))
      throw new BanditException(
        BanditErrorCode.CAMPAIGN_WRITE_FAILED,
        'campaign change was written but not confirmed in time; read it back before retrying',
      );
    const now = this.d.catalog.get(c.shopId, c.campaignId);
    if (!now || now.position.partition !== at.partition || now.position.offset !== at.offset) {
      // Lost a race with another replica: make sure the winner is the last record.
      if (now) await this.d.log.write(key, now.bytes).catch(() => undefined);
      throw new BanditException(
        BanditErrorCode.VERSION_CONFLICT,
        'campaign was changed concurrently: re-read and retry',
        { current_version: String(now?.campaign.version ?? 0) },
      );
    }
    return now.campaign;
  }
}
