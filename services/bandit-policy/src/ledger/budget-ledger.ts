import { LedgerEntryType, type LedgerEntry } from '@offerstream/contracts';

/** Caps of a campaign as the requester reads them from its catalog. */
export interface LedgerCaps {
  /** Total budget, minor units; 0 = unlimited. */
  readonly totalMinor: number;
  /** Daily budget, minor units; 0 = none. */
  readonly dailyMinor: number;
  /** Flash-sale stock by offer id. */
  readonly stock: Readonly<Record<string, number>>;
}

/** A hold on budget and stock for one chosen offer of one decision. */
export interface Reservation {
  readonly id: string;
  readonly campaignKey: string;
  readonly offerId: string;
  readonly day: string;
  readonly costMinor: number;
  readonly stockUnits: number;
  /** After this instant the offer can no longer be redeemed: settle from its redemptions. */
  expiresAtMs: number;
  /** The user and decision time (to look the redemptions up). */
  readonly userId?: string;
  readonly servedAtMs?: number;
}

/** What the fold knows about one campaign, the same on every replica. */
interface CampaignFold {
  grantedTotal: number;
  readonly grantedByDay: Map<string, number>;
  readonly grantedStock: Map<string, number>;
  /** Settled spend reported by rewards (this replica's view; for stats and pacing). */
  settled: number;
}

/** A lease as the fold recorded it. */
interface Lease {
  readonly holder: string;
  readonly campaignKey: string;
  readonly day: string;
  budget: number;
  readonly stock: Map<string, number>;
}

/** This replica's account of one campaign (and day), funded by its leases. */
interface Account {
  leased: number;
  reserved: number;
  spent: number;
  readonly stockLeased: Map<string, number>;
  readonly stockReserved: Map<string, number>;
  readonly stockSold: Map<string, number>;
}

/** A reservation with the account its stock came from (stock leases are not per day). */
type Held = Reservation & { readonly stockDay: string };

/** A budgeted reservation after it was settled: what its close charged, for late rewards. */
interface Closed {
  readonly campaignKey: string;
  readonly day: string;
  readonly expiresAtMs: number;
  charged: number;
}

/**
 * How long and how many closed reservations are remembered for a late reward (chargeLate):
 * a reward comes an attribution window after its decision, and the service's windows are
 * hours to days.
 */
export const CLOSED_MEMORY = { ms: 7 * 86_400_000, entries: 500_000 } as const;

const acctKey = (campaignKey: string, day: string) => `${campaignKey}\u0000${day}`;

function newAccount(): Account {
  return {
    leased: 0,
    reserved: 0,
    spent: 0,
    stockLeased: new Map(),
    stockReserved: new Map(),
    stockSold: new Map(),
  };
}

const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);

/** Why a reservation was refused. */
export type RefusalReason = 'budget' | 'stock';

/**
 * Budget and stock leases across replicas, and this replica's reservations against them.
 *
 * The fold (`apply`) sees every ledger entry in log order and decides each lease request
 * with the caps the request states: granted = min(asked, cap − already granted), so the
 * sum of grants never exceeds a cap, whichever replicas asked. A replica reserves only
 * from what was granted to it (`reserve` is synchronous: no two concurrent decisions can
 * take the same money), so concurrent GetOffers on any number of replicas never overspend
 * a budget or oversell stock. Pure: no I/O, no clock (callers pass times).
 */
export class BudgetLedger {
  private readonly folds = new Map<string, CampaignFold>();
  private readonly leases = new Map<string, Lease>();
  private readonly accounts = new Map<string, Account>();
  private readonly reservations = new Map<string, Held>();
  private readonly closed = new Map<string, Closed>();
  private readonly granted = new Map<string, (budget: number) => void>();

  constructor(readonly holder: string) {}

  private fold(campaignKey: string): CampaignFold {
    let f = this.folds.get(campaignKey);
    if (!f) {
      f = { grantedTotal: 0, grantedByDay: new Map(), grantedStock: new Map(), settled: 0 };
      this.folds.set(campaignKey, f);
    }
    return f;
  }

  private account(campaignKey: string, day: string): Account {
    const k = acctKey(campaignKey, day);
    let a = this.accounts.get(k);
    if (!a) this.accounts.set(k, (a = newAccount()));
    return a;
  }

  /** Folds one ledger entry (every replica, same order, same result). */
  apply(campaignKey: string, e: LedgerEntry): void {
    const f = this.fold(campaignKey);
    if (e.type === LedgerEntryType.LEDGER_ENTRY_TYPE_LEASE_REQUEST) {
      if (this.leases.has(e.leaseId)) return; // re-delivered
      let budget = Math.max(0, e.budgetMinor);
      if (e.capTotalMinor > 0) budget = Math.min(budget, e.capTotalMinor - f.grantedTotal);
      if (e.capDailyMinor > 0 && e.day !== '')
        budget = Math.min(budget, e.capDailyMinor - (f.grantedByDay.get(e.day) ?? 0));
      budget = Math.max(0, budget);
      const stock = new Map<string, number>();
      for (const [offerId, asked] of Object.entries(e.stock)) {
        const cap = e.capStock[offerId] ?? 0;
        const g = Math.max(0, Math.min(asked, cap - (f.grantedStock.get(offerId) ?? 0)));
        if (g > 0) stock.set(offerId, g);
      }
      f.grantedTotal += budget;
      if (e.day !== '') add(f.grantedByDay, e.day, budget);
      for (const [o, g] of stock) add(f.grantedStock, o, g);
      this.leases.set(e.leaseId, { holder: e.holder, campaignKey, day: e.day, budget, stock });
      if (e.holder === this.holder) {
        const a = this.account(campaignKey, e.day);
        a.leased += budget;
        for (const [o, g] of stock) add(a.stockLeased, o, g);
      }
      this.granted.get(e.leaseId)?.(budget);
      this.granted.delete(e.leaseId);
    } else if (e.type === LedgerEntryType.LEDGER_ENTRY_TYPE_LEASE_RETURN) {
      const lease = this.leases.get(e.leaseId);
      if (!lease) return;
      const budget = Math.min(Math.max(0, e.budgetMinor), lease.budget);
      lease.budget -= budget;
      f.grantedTotal -= budget;
      if (lease.day !== '') add(f.grantedByDay, lease.day, -budget);
      if (lease.holder === this.holder) this.account(campaignKey, lease.day).leased -= budget;
      for (const [o, asked] of Object.entries(e.stock)) {
        const units = Math.min(Math.max(0, asked), lease.stock.get(o) ?? 0);
        lease.stock.set(o, (lease.stock.get(o) ?? 0) - units);
        add(f.grantedStock, o, -units);
        if (lease.holder === this.holder)
          add(this.account(campaignKey, lease.day).stockLeased, o, -units);
      }
    }
  }

  /** Resolves with the budget granted to lease `leaseId` once the fold has seen its request. */
  whenGranted(leaseId: string): Promise<number> {
    return new Promise((resolve) => this.granted.set(leaseId, resolve));
  }

  /** Budget of a campaign (and day) not yet granted to anyone, as this replica's fold says. */
  ungranted(campaignKey: string, caps: LedgerCaps, day: string): number {
    const f = this.fold(campaignKey);
    let left = Infinity;
    if (caps.totalMinor > 0) left = Math.min(left, caps.totalMinor - f.grantedTotal);
    if (caps.dailyMinor > 0)
      left = Math.min(left, caps.dailyMinor - (f.grantedByDay.get(day) ?? 0));
    return Math.max(0, left);
  }

  /** Stock of an offer not yet granted to anyone. */
  ungrantedStock(campaignKey: string, offerId: string, cap: number): number {
    return Math.max(0, cap - (this.fold(campaignKey).grantedStock.get(offerId) ?? 0));
  }

  /** Budget this replica may still reserve for a campaign on a day. */
  availableBudget(campaignKey: string, day: string): number {
    const a = this.accounts.get(acctKey(campaignKey, day));
    return a ? a.leased - a.reserved - a.spent : 0;
  }

  /** Units of an offer this replica may still reserve (leases are not per day for stock). */
  availableStock(campaignKey: string, offerId: string): number {
    let n = 0;
    for (const [k, a] of this.accounts) {
      if (!k.startsWith(`${campaignKey}\u0000`)) continue;
      n +=
        (a.stockLeased.get(offerId) ?? 0) -
        (a.stockReserved.get(offerId) ?? 0) -
        (a.stockSold.get(offerId) ?? 0);
    }
    return n;
  }

  /**
   * Holds `costMinor` of budget (when `budgeted`) and `stockUnits` of the offer's stock,
   * or refuses. Synchronous on purpose: check and take happen in one step.
   */
  reserve(r: Reservation, budgeted: boolean): { ok: true } | { ok: false; reason: RefusalReason } {
    if (this.reservations.has(r.id)) return { ok: true };
    const a = this.account(r.campaignKey, r.day);
    if (budgeted && r.costMinor > a.leased - a.reserved - a.spent)
      return { ok: false, reason: 'budget' };
    let stock: { acct: Account; day: string } | undefined;
    if (r.stockUnits > 0) {
      stock = this.stockAccount(r.campaignKey, r.offerId, r.stockUnits);
      if (!stock) return { ok: false, reason: 'stock' };
    }
    if (budgeted) a.reserved += r.costMinor;
    if (stock) add(stock.acct.stockReserved, r.offerId, r.stockUnits);
    this.reservations.set(r.id, {
      ...r,
      costMinor: budgeted ? r.costMinor : 0,
      stockDay: stock?.day ?? '',
    });
    return { ok: true };
  }

  private stockAccount(
    campaignKey: string,
    offerId: string,
    units: number,
  ): { acct: Account; day: string } | undefined {
    for (const [k, a] of this.accounts) {
      const [ck = '', day = ''] = k.split('\u0000');
      if (ck !== campaignKey) continue;
      const free =
        (a.stockLeased.get(offerId) ?? 0) -
        (a.stockReserved.get(offerId) ?? 0) -
        (a.stockSold.get(offerId) ?? 0);
      if (free >= units) return { acct: a, day };
    }
    return undefined;
  }

  has(reservationId: string): boolean {
    return this.reservations.has(reservationId);
  }

  /** Extends a reservation (a deferred decision was activated: it now lasts its window). */
  extend(reservationId: string, expiresAtMs: number): void {
    const r = this.reservations.get(reservationId);
    if (r && expiresAtMs > r.expiresAtMs) r.expiresAtMs = expiresAtMs;
  }

  /**
   * Closes a reservation with what it actually cost (its reward is final): the spend and
   * units sold stay taken, the rest returns to this replica's lease.
   */
  settle(reservationId: string, actualCostMinor: number, unitsSold: number): boolean {
    const r = this.reservations.get(reservationId);
    if (!r) return false;
    this.reservations.delete(reservationId);
    const a = this.account(r.campaignKey, r.day);
    a.reserved -= r.costMinor;
    if (r.costMinor > 0 || actualCostMinor > 0) {
      const charged = Math.max(0, actualCostMinor);
      a.spent += charged;
      this.closed.set(reservationId, {
        campaignKey: r.campaignKey,
        day: r.day,
        expiresAtMs: r.expiresAtMs,
        charged,
      });
      if (this.closed.size > CLOSED_MEMORY.entries)
        this.closed.delete(this.closed.keys().next().value!);
    }
    if (r.stockUnits > 0) {
      const s = this.account(r.campaignKey, r.stockDay);
      add(s.stockReserved, r.offerId, -r.stockUnits);
      add(s.stockSold, r.offerId, Math.min(r.stockUnits, Math.max(0, unitsSold)));
    }
    return true;
  }

  /** Releases a reservation whole (its decision lapsed or expired unredeemed). */
  release(reservationId: string): boolean {
    return this.settle(reservationId, 0, 0);
  }

  /**
   * A final cost for a reservation already settled: what its close did not charge is
   * charged now (the difference, never a refund), and 0 when nothing was missing or the
   * reservation is not one this replica closed. The close at expiry reads the redemptions
   * stored by then; one stored after the grace (ingest or ClickHouse late) reaches the
   * ledger this way, with its reward, instead of leaving its cost to be leased again.
   */
  chargeLate(reservationId: string, finalCostMinor: number): number {
    const c = this.closed.get(reservationId);
    if (!c) return 0;
    const missing = Math.max(0, finalCostMinor) - c.charged;
    if (!(missing > 0)) return 0;
    this.account(c.campaignKey, c.day).spent += missing;
    c.charged += missing;
    return missing;
  }

  /** Forgets closed reservations past CLOSED_MEMORY.ms (oldest closes first). */
  forgetClosed(nowMs: number): void {
    for (const [id, c] of this.closed) {
      if (c.expiresAtMs + CLOSED_MEMORY.ms >= nowMs) break;
      this.closed.delete(id);
    }
  }

  /** Reservations whose expiry passed before `nowMs`. */
  expired(nowMs: number): Reservation[] {
    const out: Reservation[] = [];
    for (const r of this.reservations.values()) if (r.expiresAtMs < nowMs) out.push(r);
    return out;
  }

  /** Counts settled spend of a campaign (all replicas' rewards) for stats and pacing. */
  recordSettled(campaignKey: string, costMinor: number): void {
    this.fold(campaignKey).settled += costMinor;
  }

  /** Global figures of a campaign as this replica knows them. */
  figures(
    campaignKey: string,
    day: string,
  ): {
    granted: number;
    grantedToday: number;
    settled: number;
    myReserved: number;
    mySpent: number;
    stockGranted: ReadonlyMap<string, number>;
  } {
    const f = this.fold(campaignKey);
    let myReserved = 0;
    let mySpent = 0;
    for (const [k, a] of this.accounts) {
      if (!k.startsWith(`${campaignKey}\u0000`)) continue;
      myReserved += a.reserved;
      mySpent += a.spent;
    }
    return {
      granted: f.grantedTotal,
      grantedToday: f.grantedByDay.get(day) ?? 0,
      settled: f.settled,
      myReserved,
      mySpent,
      stockGranted: f.grantedStock,
    };
  }

  /**
   * What this replica can hand back: unused budget of its leases (per lease, so the fold
   * can match returns to leases) and unused stock. Reserved amounts stay taken (their
   * offers may still be redeemed).
   */
  returnable(keep: (campaignKey: string, day: string) => boolean = () => false): LedgerReturn[] {
    const out: LedgerReturn[] = [];
    for (const [k, a] of this.accounts) {
      const [campaignKey = '', day = ''] = k.split('\u0000');
      if (keep(campaignKey, day)) continue;
      let budget = Math.max(0, a.leased - a.reserved - a.spent);
      const stock = new Map<string, number>();
      for (const [o, n] of a.stockLeased) {
        const free = n - (a.stockReserved.get(o) ?? 0) - (a.stockSold.get(o) ?? 0);
        if (free > 0) stock.set(o, free);
      }
      if (budget <= 0 && stock.size === 0) continue;
      for (const [leaseId, l] of this.leases) {
        if (l.holder !== this.holder || l.campaignKey !== campaignKey || l.day !== day) continue;
        const b = Math.min(budget, l.budget);
        const s: Record<string, number> = {};
        for (const [o, free] of stock) {
          const units = Math.min(free, l.stock.get(o) ?? 0);
          if (units > 0) {
            s[o] = units;
            stock.set(o, free - units);
          }
        }
        if (b <= 0 && Object.keys(s).length === 0) continue;
        budget -= b;
        out.push({ leaseId, campaignKey, day, budgetMinor: b, stock: s });
      }
    }
    return out;
  }

  /** Open reservations (metrics, tests). */
  get openReservations(): number {
    return this.reservations.size;
  }
}

/** Unused lease budget/stock to hand back with a LEASE_RETURN. */
export interface LedgerReturn {
  readonly leaseId: string;
  readonly campaignKey: string;
  readonly day: string;
  readonly budgetMinor: number;
  readonly stock: Readonly<Record<string, number>>;
}
