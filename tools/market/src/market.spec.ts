import { EventType, type Offer } from '@offerstream/contracts';
import { Market } from './market';
import { toProtoEvent, type MarketEvent } from './market-event';
import { NoPromotionPolicy, RandomOfferPolicy } from './policies';
import { SECTIONS, type Section } from './catalog';
import { TYPE_PROFILES } from './population';
import {
  campaignsAt,
  loadScenario,
  USER_TYPES,
  withOverrides,
  type Scenario,
  type UserType,
} from './scenario';
import { simulate } from './simulation';

const START = Date.UTC(2025, 10, 10);

function eventsOf(scenario: Scenario): MarketEvent[] {
  const events: MarketEvent[] = [];
  simulate({
    scenario,
    startMs: START,
    policy: new RandomOfferPolicy(scenario.seed),
    observer: { onEvent: (e) => events.push(e) },
  });
  return events;
}

describe('the market', () => {
  const small = withOverrides(loadScenario('double-11'), { users: 300 });

  it('replays exactly the same event stream for the same seed', () => {
    const a = eventsOf(small);
    const b = eventsOf(small);
    expect(a.length).toBeGreaterThan(1000);
    expect(b).toEqual(a);
  });

  it('produces a different event stream for a different seed', () => {
    const a = eventsOf(small);
    const c = eventsOf(withOverrides(small, { seed: small.seed + 1 }));
    expect(c.map((e) => e.eventId)).not.toEqual(a.map((e) => e.eventId));
    expect(c.map((e) => e.type)).not.toEqual(a.map((e) => e.type));
  });

  it('emits every offer event with the decision id the offer came from', () => {
    const offerEvents = eventsOf(small).filter((e) => e.type.startsWith('offer_'));
    expect(offerEvents.length).toBeGreaterThan(50);
    for (const e of offerEvents) {
      expect(e.decisionId).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
      expect(e.offerId).toBeTruthy();
      expect(e.campaignId).toBe('cmp-double-11');
    }
  });

  it('converts its events 1:1 into proto Events', () => {
    const events = eventsOf(small);
    const redeem = events.find((e) => e.type === 'offer_redeem')!;
    expect(toProtoEvent(redeem)).toMatchObject({
      eventId: redeem.eventId,
      type: EventType.EVENT_TYPE_OFFER_REDEEM,
      userId: redeem.userId,
      eventTime: new Date(redeem.timeMs),
      decisionId: redeem.decisionId,
      orderId: redeem.orderId,
      discountMinor: redeem.discountMinor,
      currency: 'EUR',
    });
    const cart = events.find((e) => e.type === 'add_to_cart')!;
    expect(toProtoEvent(cart)).toMatchObject({
      type: EventType.EVENT_TYPE_ADD_TO_CART,
      itemId: cart.itemId,
      priceMinor: cart.priceMinor,
      quantity: cart.quantity,
      decisionId: '',
    });
  });

  it('never reveals the user type through the events', () => {
    const text = JSON.stringify(eventsOf(small));
    for (const t of ['sure_thing', 'persuadable', 'sleeping_dog', 'lost_cause'])
      expect(text).not.toContain(t);
  });
});

describe('what users browse', () => {
  // The default scenario with nothing shown: every view, by the viewer's latent type.
  const market = new Market(withOverrides(loadScenario('double-11'), { users: 1500 }), START);
  const itemOf = new Map(market.catalog.items.map((i) => [i.itemId, i]));
  const views = new Map<string, MarketEvent[]>();
  for (let s = market.nextSession(); s; s = market.nextSession()) {
    const list = views.get(s.userId) ?? [];
    list.push(...s.events.filter((e) => e.type === 'view'));
    views.set(s.userId, list);
    market.completeSession(
      s,
      s.decisionPoint ? { decisionId: `d-${s.sessionId}`, offer: null } : null,
    );
  }
  const users = (type: UserType) =>
    [...views.entries()].filter(([id]) => market.truth.userType(id) === type);
  const share = (type: UserType, section: Section) => {
    const all = users(type).flatMap(([, v]) => v);
    return all.filter((e) => itemOf.get(e.itemId!)!.section === section).length / all.length;
  };
  const signature: [UserType, Section][] = [
    ['persuadable', 'outlet'],
    ['sleeping_dog', 'premium'],
    ['sure_thing', 'staples'],
  ];

  it('shows the type in where users browse: deal hunters in the outlet, sleeping dogs among premium lines, sure things among staples', () => {
    for (const [type, section] of signature)
      for (const other of USER_TYPES.filter((t) => t !== type))
        expect(share(type, section)).toBeGreaterThan(2 * share(other, section));
  });

  it('keeps the types overlapping: some users of every type browse like another type', () => {
    for (const [type, section] of signature) {
      const group = users(type).filter(([, v]) => v.length >= 5);
      const unlike = group.filter(([, v]) => {
        const n = (sec: Section) => v.filter((e) => itemOf.get(e.itemId!)!.section === sec).length;
        return SECTIONS.some((sec) => sec !== 'regular' && sec !== section && n(sec) > n(section));
      });
      expect(unlike.length / group.length).toBeGreaterThan(0.05);
      expect(unlike.length / group.length).toBeLessThan(0.35);
    }
  });

  it('sends deal hunters who need a deep discount to the deep-clearance racks', () => {
    const deep = (id: string) => market.truth.user(id).threshold > 0.15;
    const clearance = (group: [string, MarketEvent[]][]) => {
      const outlet = group.flatMap(([, v]) =>
        v.filter((e) => itemOf.get(e.itemId!)!.section === 'outlet'),
      );
      return outlet.filter((e) => e.categoryId === 'outlet/clearance').length / outlet.length;
    };
    const hunters = users('persuadable');
    expect(clearance(hunters.filter(([id]) => deep(id)))).toBeGreaterThan(
      clearance(hunters.filter(([id]) => !deep(id))) + 0.25,
    );
  });
});

/**
 * Simulates every cart session twice on identical markets (no churn, so both see the same
 * sessions): once with nothing shown, once with `offer` shown. Returns, per user type, the
 * simulated purchases and the ground-truth expectation of the difference.
 */
function upliftBySimulation(scenario: Scenario, offer: Offer) {
  const without = new Market(scenario, START);
  const withOffer = new Market(scenario, START);
  const stats = new Map<UserType, { n: number; buys0: number; buys1: number; expected: number }>();
  for (
    let a = without.nextSession(), b = withOffer.nextSession();
    a && b;
    a = without.nextSession(), b = withOffer.nextSession()
  ) {
    expect(b.sessionId).toBe(a.sessionId);
    const point = a.decisionPoint;
    const decisionId = `d-${a.sessionId}`;
    const o0 = without.completeSession(a, point ? { decisionId, offer: null } : null).outcome;
    const o1 = withOffer.completeSession(b, point ? { decisionId, offer } : null).outcome;
    if (!point || !o0 || !o1) continue;
    const type = without.truth.userType(a.userId);
    const s = stats.get(type) ?? { n: 0, buys0: 0, buys1: 0, expected: 0 };
    s.n++;
    s.buys0 += o0.purchased ? 1 : 0;
    s.buys1 += o1.purchased ? 1 : 0;
    s.expected += o1.pBuy - o0.pBuyNoOffer;
    stats.set(type, s);
  }
  return (type: UserType) => {
    const s = stats.get(type)!;
    // 99 % binomial interval of the difference of two rates of n trials each (variance from
    // the add-one estimates, so a rate of 0 still gets a width).
    const v = (k: number) => ((k + 1) / (s.n + 2)) * (1 - (k + 1) / (s.n + 2));
    const halfWidth = 2.576 * Math.sqrt((v(s.buys0) + v(s.buys1)) / s.n);
    return { n: s.n, observed: (s.buys1 - s.buys0) / s.n, expected: s.expected / s.n, halfWidth };
  };
}

describe('the ground-truth uplift of a 20 % offer, checked by simulation', () => {
  const base = loadScenario('double-11');
  const scenario: Scenario = {
    ...base,
    users: { ...base.users, churn: { ...base.users.churn, baseHazardPerDay: 0, atRiskShare: 0 } },
  };
  const twentyPercent = campaignsAt(scenario, START)[0]!.offers.find(
    (o) => o.offerId === 'off-d11-20pct',
  )!;
  const uplift = upliftBySimulation(scenario, twentyPercent);

  it('raises persuadables’ purchase rate by the configured uplift, within a binomial interval', () => {
    const u = uplift('persuadable');
    expect(u.n).toBeGreaterThan(1000);
    // Most persuadables' thresholds lie below 20 %: the configured uplift mostly applies.
    const [lo, hi] = TYPE_PROFILES.persuadable.uplift;
    expect(u.expected).toBeGreaterThan(0.5 * lo);
    expect(u.expected).toBeLessThanOrEqual(hi);
    expect(Math.abs(u.observed - u.expected)).toBeLessThan(u.halfWidth);
    expect(u.observed - u.halfWidth).toBeGreaterThan(0);
  });

  it('lowers sleeping dogs’ purchase rate', () => {
    const u = uplift('sleeping_dog');
    expect(u.observed + u.halfWidth).toBeLessThan(0);
    expect(Math.abs(u.observed - u.expected)).toBeLessThan(u.halfWidth);
  });

  it('leaves sure things’ purchase rate where it was', () => {
    const u = uplift('sure_thing');
    expect(u.expected).toBe(0);
    expect(Math.abs(u.observed)).toBeLessThan(u.halfWidth);
  });

  it('leaves lost causes’ purchase rate where it was', () => {
    const u = uplift('lost_cause');
    expect(u.expected).toBe(0);
    expect(Math.abs(u.observed)).toBeLessThan(u.halfWidth);
  });
});

describe('churn', () => {
  it('makes at-risk users stop visiting far more often than the rest', () => {
    const scenario = withOverrides(loadScenario('retention'), { users: 400 });
    const run = simulate({ scenario, startMs: START, policy: new NoPromotionPolicy() });
    const { users } = run.market.population;
    const share = (risk: boolean) => {
      const group = users.filter((u) => u.atRisk === risk);
      return group.filter((u) => run.market.hasChurned(u.userId)).length / group.length;
    };
    expect(share(true)).toBeGreaterThan(0.2);
    expect(share(true)).toBeGreaterThan(3 * share(false));
  });
});
