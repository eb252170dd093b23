import { Campaign, type LedgerEntry } from '@offerstream/contracts';
import type { CatalogEntry } from '@offerstream/campaigns';
import type { Logger } from '@offerstream/logging';
import { LedgerService } from './ledger.service';

const entry = (totalBudgetMinor: number): CatalogEntry => ({
  campaign: Campaign.fromPartial({
    campaignId: 'c1',
    shopId: 's',
    budget: { currency: 'EUR', totalBudgetMinor },
  }),
  record: {} as CatalogEntry['record'],
  bytes: Buffer.alloc(0),
  position: { partition: 0, offset: '0' },
});

/** A service whose lease requests are captured instead of written. */
function service() {
  const asked: LedgerEntry[] = [];
  const ledger = new LedgerService(
    { append: (_key, e) => (asked.push(e), Promise.resolve()) },
    { holder: 'r1', leaseShare: 0.1, leaseMinMinor: 500 },
    { warn: () => undefined } as unknown as Logger,
  );
  return { ledger, asked };
}

describe('LedgerService.top', () => {
  it('asks for a share of the ungranted budget, at least the minimum lease', () => {
    const { ledger, asked } = service();
    ledger.top(entry(100_000), 0);
    expect(asked.map((e) => e.budgetMinor)).toEqual([10_000]);
    const small = service();
    small.ledger.top(entry(3000), 0);
    expect(small.asked.map((e) => e.budgetMinor)).toEqual([500]);
  });

  it('asks for at least what a decision needs to hold, so a hold above the share can fit', () => {
    // 10 % of 30 EUR is 3 EUR; a 15 EUR hold would never fit in such leases.
    const { ledger, asked } = service();
    ledger.top(entry(3000), 0, 1500);
    expect(asked.map((e) => e.budgetMinor)).toEqual([1500]);
  });

  it('never asks for more than is ungranted', () => {
    const { ledger, asked } = service();
    ledger.top(entry(1000), 0, 1500);
    expect(asked.map((e) => e.budgetMinor)).toEqual([1000]);
  });
});
