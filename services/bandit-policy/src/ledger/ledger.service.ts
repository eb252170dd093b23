import { LedgerEntryType, type Campaign, type LedgerEntry } from '@offerstream/contracts';
import { campaignKey, localTime, type CatalogEntry } from '@offerstream/campaigns';
import type { Logger } from '@offerstream/logging';
import { BudgetLedger, type LedgerCaps, type LedgerReturn } from './budget-ledger';

/** Writes ledger entries (acks=all) — the Kafka side, injected. */
export interface LedgerPort {
  append(key: string, entry: LedgerEntry): Promise<void>;
}

export interface LedgerSettings {
  readonly holder: string;
  /** Share of the ungranted budget/stock one lease asks for. */
  readonly leaseShare: number;
  /** Smallest budget lease asked for, minor units. */
  readonly leaseMinMinor: number;
}

/** The day key of a campaign's daily budget ('' when it has none). */
export function budgetDay(c: Campaign, nowMs: number): string {
  return (c.budget?.dailyBudgetMinor ?? 0) > 0
    ? localTime(c.schedule?.timeZone ?? '', nowMs).day
    : '';
}

/** The caps a lease request states for a campaign. */
export function capsOf(c: Campaign): LedgerCaps {
  const stock: Record<string, number> = {};
  for (const o of c.offers) if (o.flashSale) stock[o.offerId] = o.flashSale.stock;
  return {
    totalMinor: c.budget?.totalBudgetMinor ?? 0,
    dailyMinor: c.budget?.dailyBudgetMinor ?? 0,
    stock,
  };
}

/** True when a campaign's spend is capped (total or daily budget). */
export function isBudgeted(c: Campaign): boolean {
  return (c.budget?.totalBudgetMinor ?? 0) > 0 || (c.budget?.dailyBudgetMinor ?? 0) > 0;
}

/**
 * Keeps this replica funded: asks the ledger for budget/stock leases before it runs dry,
 * hands unused leases back (past days; everything at shutdown). Decisions reserve from
 * `ledger` synchronously; this only moves leases.
 */
export class LedgerService {
  readonly ledger: BudgetLedger;
  private readonly pending = new Set<string>();
  private seq = 0;
  /** Size of the last lease granted per account, to keep a proportional headroom. */
  private readonly lastLease = new Map<string, number>();

  constructor(
    private readonly port: LedgerPort,
    private readonly settings: LedgerSettings,
    private readonly logger: Logger,
  ) {
    this.ledger = new BudgetLedger(settings.holder);
  }

  /** Folds one entry read from the ledger topic. */
  apply(key: string, e: LedgerEntry): void {
    this.ledger.apply(key, e);
  }

  /**
   * Asks for more budget/stock for a campaign when this replica's headroom is low: below
   * half its last lease, the minimum lease, or `needMinor` (what a decision wants to hold:
   * a lease always covers it, else a hold larger than a share of the budget never fits).
   * Returns without waiting for the grant (decisions go on with what is leased).
   */
  top(entry: CatalogEntry, nowMs: number, needMinor = 0): void {
    const c = entry.campaign;
    const key = campaignKey(c.shopId, c.campaignId);
    const day = budgetDay(c, nowMs);
    const caps = capsOf(c);
    const acct = `${key}\u0000${day}`;
    if (this.pending.has(acct)) return;
    let budget = 0;
    if (isBudgeted(c)) {
      const have = this.ledger.availableBudget(key, day);
      const ungranted = this.ledger.ungranted(key, caps, day);
      const low = Math.max(
        this.settings.leaseMinMinor,
        (this.lastLease.get(acct) ?? 0) / 2,
        needMinor,
      );
      if (have < low && ungranted > 0)
        budget = Math.min(
          ungranted,
          Math.max(
            this.settings.leaseMinMinor,
            Math.ceil(ungranted * this.settings.leaseShare),
            needMinor - have,
          ),
        );
    }
    const stock: Record<string, number> = {};
    for (const [offerId, cap] of Object.entries(caps.stock)) {
      const have = this.ledger.availableStock(key, offerId);
      const ungranted = this.ledger.ungrantedStock(key, offerId, cap);
      if (have < Math.max(1, Math.ceil(cap * this.settings.leaseShare * 0.5)) && ungranted > 0)
        stock[offerId] = Math.min(
          ungranted,
          Math.max(1, Math.ceil(ungranted * this.settings.leaseShare)),
        );
    }
    if (budget <= 0 && Object.keys(stock).length === 0) return;
    const leaseId = `${this.settings.holder}/${nowMs.toString(36)}-${(this.seq++).toString(36)}`;
    const request: LedgerEntry = {
      leaseId,
      type: LedgerEntryType.LEDGER_ENTRY_TYPE_LEASE_REQUEST,
      shopId: c.shopId,
      campaignId: c.campaignId,
      holder: this.settings.holder,
      budgetMinor: budget,
      day,
      stock,
      at: new Date(nowMs),
      capTotalMinor: caps.totalMinor,
      capDailyMinor: caps.dailyMinor,
      capStock: caps.stock,
    };
    this.pending.add(acct);
    const granted = this.ledger.whenGranted(leaseId);
    this.port.append(key, request).then(
      () =>
        void granted.then((g) => {
          this.pending.delete(acct);
          if (g > 0) this.lastLease.set(acct, g);
        }),
      (err: unknown) => {
        this.pending.delete(acct);
        this.logger.warn(
          { err, campaignId: c.campaignId },
          'lease request not written; will retry',
        );
      },
    );
  }

  /**
   * Hands back unused leases: of past local days (`currentDay` says which day a campaign
   * is on; undefined = the campaign is gone), or all of them at shutdown.
   */
  async handBack(
    nowMs: number,
    all: boolean,
    currentDay: (campaignKey: string) => string | undefined,
  ): Promise<number> {
    const returns = this.ledger.returnable(
      (key, day) => !all && (day === '' || day === currentDay(key)),
    );
    for (const r of returns) await this.port.append(r.campaignKey, this.returnEntry(r, nowMs));
    return returns.length;
  }

  private returnEntry(r: LedgerReturn, nowMs: number): LedgerEntry {
    const ids = JSON.parse(r.campaignKey) as [string, string];
    return {
      leaseId: r.leaseId,
      type: LedgerEntryType.LEDGER_ENTRY_TYPE_LEASE_RETURN,
      shopId: ids[0],
      campaignId: ids[1],
      holder: this.settings.holder,
      budgetMinor: r.budgetMinor,
      day: r.day,
      stock: { ...r.stock },
      at: new Date(nowMs),
      capTotalMinor: 0,
      capDailyMinor: 0,
      capStock: {},
    };
  }
}
