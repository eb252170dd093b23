import { LedgerEntryType, type LedgerEntry } from '@offerstream/contracts';
import { BudgetLedger, CLOSED_MEMORY } from './budget-ledger';

const KEY = '["shop","cmp"]';

function request(
  holder: string,
  leaseId: string,
  budget: number,
  over: Partial<LedgerEntry> = {},
): LedgerEntry {
  return {
    leaseId,
    type: LedgerEntryType.LEDGER_ENTRY_TYPE_LEASE_REQUEST,
    shopId: 'shop',
    campaignId: 'cmp',
    holder,
    budgetMinor: budget,
    day: '',
    stock: {},
    at: new Date(0),
    capTotalMinor: 1000,
    capDailyMinor: 0,
    capStock: {},
    ...over,
  };
}

/** Replicas that fold one shared log in the same order. */
function makeReplicas(names: string[]) {
  const log: LedgerEntry[] = [];
  const replicas = new Map(names.map((n) => [n, new BudgetLedger(n)]));
  return {
    log,
    replicas,
    append(e: LedgerEntry) {
      log.push(e);
      for (const r of replicas.values()) r.apply(KEY, e);
    },
  };
}

let seq = 0;
const reservation = (cost: number, stockUnits = 0, offerId = 'o1') => ({
  id: `d${seq++}/${offerId}`,
  campaignKey: KEY,
  offerId,
  day: '',
  costMinor: cost,
  stockUnits,
  expiresAtMs: 1000,
});

describe('BudgetLedger', () => {
  it('grants at most the cap across replicas, whatever they ask, and every replica agrees', () => {
    const { append, replicas } = makeReplicas(['a', 'b', 'c']);
    append(request('a', 'a/1', 600));
    append(request('b', 'b/1', 600));
    append(request('c', 'c/1', 600));
    for (const r of replicas.values()) {
      expect(r.figures(KEY, '').granted).toBe(1000);
      expect(r.ungranted(KEY, { totalMinor: 1000, dailyMinor: 0, stock: {} }, '')).toBe(0);
    }
    expect(replicas.get('a')!.availableBudget(KEY, '')).toBe(600);
    expect(replicas.get('b')!.availableBudget(KEY, '')).toBe(400);
    expect(replicas.get('c')!.availableBudget(KEY, '')).toBe(0);
  });

  it('never lets concurrent reservations on many replicas exceed the budget', () => {
    const { append, replicas } = makeReplicas(['a', 'b']);
    append(request('a', 'a/1', 300));
    append(request('b', 'b/1', 300));
    append(request('a', 'a/2', 300));
    append(request('b', 'b/2', 300));
    let reserved = 0;
    // Interleaved reservations of random sizes on both replicas until both refuse.
    let x = 7;
    for (let i = 0; i < 500; i++) {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      const r = replicas.get(i % 2 ? 'a' : 'b')!;
      const cost = 1 + (x % 40);
      if (r.reserve(reservation(cost), true).ok) reserved += cost;
    }
    expect(reserved).toBeLessThanOrEqual(1000);
    expect(reserved).toBeGreaterThan(900);
  });

  it('settles a reservation at its real cost and returns the rest to the lease', () => {
    const { append, replicas } = makeReplicas(['a']);
    append(request('a', 'a/1', 100));
    const a = replicas.get('a')!;
    const r = reservation(80);
    expect(a.reserve(r, true)).toEqual({ ok: true });
    expect(a.availableBudget(KEY, '')).toBe(20);
    expect(a.reserve(reservation(30), true)).toEqual({ ok: false, reason: 'budget' });
    a.settle(r.id, 25, 0);
    expect(a.availableBudget(KEY, '')).toBe(75);
    expect(a.figures(KEY, '').mySpent).toBe(25);
  });

  it('charges a redemption that comes after the close at expiry, once, and never refunds', () => {
    const { append, replicas } = makeReplicas(['a']);
    append(request('a', 'a/1', 100));
    const a = replicas.get('a')!;
    const late = reservation(60);
    const known = reservation(20);
    a.reserve(late, true);
    a.reserve(known, true);
    // The offers expired: one redemption was stored by then, the other one not yet.
    a.release(late.id);
    a.settle(known.id, 15, 0);
    expect(a.availableBudget(KEY, '')).toBe(85);
    // Their rewards: the late redemption's 40 is charged now; the other costs what it did.
    expect(a.chargeLate(late.id, 40)).toBe(40);
    expect(a.chargeLate(known.id, 15)).toBe(0);
    expect(a.availableBudget(KEY, '')).toBe(45);
    // A revision for more charges the difference; one for less gives nothing back.
    expect(a.chargeLate(late.id, 45)).toBe(5);
    expect(a.chargeLate(late.id, 10)).toBe(0);
    expect(a.figures(KEY, '').mySpent).toBe(60);
    // What this replica never held, and what it forgot, is not charged.
    expect(a.chargeLate('other/o1', 30)).toBe(0);
    a.forgetClosed(late.expiresAtMs + CLOSED_MEMORY.ms + 1);
    expect(a.chargeLate(late.id, 90)).toBe(0);
    expect(a.availableBudget(KEY, '')).toBe(40);
  });

  it('never oversells flash-sale stock across replicas', () => {
    const { append, replicas } = makeReplicas(['a', 'b']);
    const stockReq = (h: string, id: string) =>
      request(h, id, 0, { stock: { flash: 4 }, capStock: { flash: 5 }, capTotalMinor: 0 });
    append(stockReq('a', 'a/1'));
    append(stockReq('b', 'b/1'));
    let sold = 0;
    for (let i = 0; i < 20; i++) {
      const r = replicas.get(i % 2 ? 'a' : 'b')!;
      if (r.reserve(reservation(0, 1, 'flash'), false).ok) sold++;
    }
    expect(sold).toBe(5);
  });

  it('ignores a re-delivered request and a return for more than the lease holds', () => {
    const { append, replicas } = makeReplicas(['a']);
    const e = request('a', 'a/1', 400);
    append(e);
    append(e);
    append({ ...e, type: LedgerEntryType.LEDGER_ENTRY_TYPE_LEASE_RETURN, budgetMinor: 10_000 });
    const a = replicas.get('a')!;
    expect(a.figures(KEY, '').granted).toBe(0);
    expect(a.availableBudget(KEY, '')).toBe(0);
  });

  it('hands back only what is neither reserved nor spent', () => {
    const { append, replicas } = makeReplicas(['a']);
    append(request('a', 'a/1', 500));
    const a = replicas.get('a')!;
    a.reserve(reservation(120), true);
    const r = reservation(50);
    a.reserve(r, true);
    a.settle(r.id, 50, 0);
    const back = a.returnable();
    expect(back).toEqual([
      { leaseId: 'a/1', campaignKey: KEY, day: '', budgetMinor: 330, stock: {} },
    ]);
    append({ ...request('a', 'a/1', 330), type: LedgerEntryType.LEDGER_ENTRY_TYPE_LEASE_RETURN });
    expect(a.figures(KEY, '').granted).toBe(170);
    expect(a.availableBudget(KEY, '')).toBe(0);
  });

  it('caps each local day separately for daily budgets', () => {
    const { append, replicas } = makeReplicas(['a']);
    const daily = (id: string, day: string) =>
      request('a', id, 900, { day, capTotalMinor: 0, capDailyMinor: 250 });
    append(daily('a/1', '2026-11-30'));
    append(daily('a/2', '2026-11-30'));
    append(daily('a/3', '2026-12-01'));
    const a = replicas.get('a')!;
    expect(a.availableBudget(KEY, '2026-11-30')).toBe(250);
    expect(a.availableBudget(KEY, '2026-12-01')).toBe(250);
  });
});
