import { holdoutPoint, inHoldout } from './holdout';

const terms = (campaignId: string, holdoutShare: number, holdoutGroup = '') => ({
  campaignId,
  holdoutShare,
  holdoutGroup,
});

/** How many of `n` users two campaigns (in their shops) both hold out. */
function overlap(
  a: [string, ReturnType<typeof terms>],
  b: [string, ReturnType<typeof terms>],
  n = 20_000,
): { a: number; both: number } {
  let inA = 0;
  let both = 0;
  for (let i = 0; i < n; i++) {
    const x = inHoldout(a[0], `u${i}`, a[1]);
    if (x) inA++;
    if (x && inHoldout(b[0], `u${i}`, b[1])) both++;
  }
  return { a: inA, both };
}

describe('holdout', () => {
  it('is stable per user and campaign and close to the share over many users', () => {
    expect(holdoutPoint('s', 'u1', 'c')).toBe(holdoutPoint('s', 'u1', 'c'));
    let n = 0;
    for (let i = 0; i < 20_000; i++) if (inHoldout('s', `u${i}`, terms('c', 0.1))) n++;
    // Binomial(20,000, 0.1): sd ≈ 42; 5 sd.
    expect(Math.abs(n - 2000)).toBeLessThan(212);
  });

  it('is independent between campaigns without a group', () => {
    const { both } = overlap(['s', terms('c', 0.5)], ['s', terms('d', 0.5)]);
    expect(Math.abs(both - 5000)).toBeLessThan(350);
  });

  it('keeps its assignment without a group: the hash of (shop, user, campaign) is a contract', () => {
    // Pinned: a change here would reshuffle every running campaign's control group.
    expect(holdoutPoint('shop-1', 'user-42', 'cmp-spring')).toBeCloseTo(0.1579407, 6);
    expect(holdoutPoint('shop-1', 'user-42', 'cmp-spring', '')).toBe(
      holdoutPoint('shop-1', 'user-42', 'cmp-spring'),
    );
  });

  it('holds out the same users in every campaign and shop of one group', () => {
    const { a, both } = overlap(['s1', terms('c', 0.2, 'g')], ['s2', terms('d', 0.2, 'g')]);
    expect(a).toBeGreaterThan(3500);
    expect(both).toBe(a);
    // A larger share holds out a superset.
    const wider = overlap(['s1', terms('c', 0.2, 'g')], ['s1', terms('c', 0.3, 'g')]);
    expect(wider.both).toBe(wider.a);
  });

  it('is independent between groups, and between a group and a campaign of that name', () => {
    const groups = overlap(['s', terms('c', 0.5, 'g1')], ['s', terms('c', 0.5, 'g2')]);
    expect(Math.abs(groups.both - 5000)).toBeLessThan(350);
    const named = overlap(['s', terms('c', 0.5, 'c')], ['s', terms('c', 0.5)]);
    expect(Math.abs(named.both - 5000)).toBeLessThan(350);
  });

  it('holds out nobody at share 0', () => {
    for (let i = 0; i < 1000; i++) expect(inHoldout('s', `u${i}`, terms('c', 0, 'g'))).toBe(false);
  });
});
