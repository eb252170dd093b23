import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  attributionWindowMs,
  campaignsAt,
  DEFAULT_SCENARIO,
  loadScenario,
  parseScenario,
  SCENARIO_DIR,
  ScenarioError,
  scenarioNames,
  withHistory,
} from './scenario';
import { buildCatalog } from './catalog';
import { HOUR_MS } from './time.util';

type Json = Record<string, unknown>;

function defaultJson(): Json {
  return JSON.parse(readFileSync(join(SCENARIO_DIR, `${DEFAULT_SCENARIO}.json`), 'utf8')) as Json;
}

function refusal(json: unknown): string {
  try {
    parseScenario(json, 'test.json');
  } catch (e) {
    expect(e).toBeInstanceOf(ScenarioError);
    return (e as Error).message;
  }
  throw new Error('the scenario was accepted');
}

describe('scenario files', () => {
  it('ships the four scenarios, each valid', () => {
    expect(scenarioNames()).toEqual(['double-11', 'flash-sale', 'new-product-launch', 'retention']);
    for (const name of scenarioNames()) expect(loadScenario(name).name).toBe(name);
  });

  it('makes double-11 the default: a budgeted mass-market campaign of several offer types with a 20 % holdout', () => {
    const s = loadScenario();
    expect(s.name).toBe('double-11');
    const [c] = s.campaigns;
    expect(c?.holdoutShare).toBeCloseTo(0.2);
    expect(c?.budget?.totalBudgetMinor).toBeGreaterThan(0);
    expect(c?.budget?.dailyBudgetMinor).toBeGreaterThan(0);
    expect(new Set(c?.offers.map((o) => o.type)).size).toBeGreaterThanOrEqual(4);
    expect(s.users.count).toBeGreaterThanOrEqual(2000);
    expect(s.users.count).toBeLessThanOrEqual(5000);
  });

  it('refuses a bad value, naming the field', () => {
    const json = defaultJson();
    const offers = (json.campaigns as Json[])[0]!.offers as Json[];
    offers[1]!.percentOff = 150;
    expect(refusal(json)).toContain('campaigns[0].offers[1].percentOff');
    const budget = (defaultJson().campaigns as Json[])[0]!;
    (budget.budget as Json).cartHeadroom = -0.5;
    expect(refusal({ ...defaultJson(), campaigns: [budget] })).toContain(
      'campaigns[0].budget.cartHeadroom',
    );
  });

  it('refuses an unknown (misspelt) field, naming it', () => {
    const json = defaultJson();
    (json.campaigns as Json[])[0]!.holdoutShar = 0.1;
    expect(refusal(json)).toContain('campaigns[0].holdoutShar: unknown field');
  });

  it('refuses a type mix that does not sum to one', () => {
    const json = defaultJson();
    ((json.users as Json).typeMix as Json).persuadable = 0.5;
    expect(refusal(json)).toContain('users.typeMix: shares sum to');
  });

  it('refuses offer terms that do not match the offer type', () => {
    const json = defaultJson();
    const offers = (json.campaigns as Json[])[0]!.offers as Json[];
    offers[0]!.amountOffMinor = 500;
    expect(refusal(json)).toContain(
      'campaigns[0].offers[0].amountOffMinor: not allowed for OFFER_TYPE_PERCENT_OFF',
    );
  });

  it('refuses a section or a markdown that names a category it cannot', () => {
    const json = defaultJson();
    const catalog = json.catalog as Json;
    (catalog.sections as Json).premium = ['fashion/designer', 'outlet/clearance', 'toys'];
    (catalog.markdowns as Json)['shoes/running'] = [0.1, 0.2];
    const message = refusal(json);
    expect(message).toContain(
      'catalog.sections.premium[1]: "outlet/clearance" is already in section outlet',
    );
    expect(message).toContain('catalog.sections.premium[2]: unknown category "toys"');
    expect(message).toContain('catalog.markdowns.shoes/running: "shoes/running" is not an outlet');
  });

  it('refuses a campaign whose attribution window would outlast the scenario', () => {
    const json = defaultJson();
    (json.campaigns as Json[])[0]!.attributionWindow = '86400s';
    expect(refusal(json)).toContain('campaigns[0].attributionWindow');
  });

  it('moves campaigns onto the run’s start, keeping their offsets and windows', () => {
    const s = loadScenario('flash-sale');
    const start = Date.UTC(2030, 0, 1);
    const [c] = campaignsAt(s, start);
    expect(c!.schedule!.startTime!.getTime() - start).toBe(12 * 3_600_000);
    const flash = c!.offers.find((o) => o.flashSale)!;
    expect(flash.flashSale!.startTime!.getTime()).toBeGreaterThanOrEqual(start);
    expect(flash.campaignId).toBe(c!.campaignId);
    expect(flash.currency).toBe('EUR');
    expect(attributionWindowMs(c!)).toBe(7_200_000);
  });
});

describe('withHistory', () => {
  it('starts the run earlier and keeps the campaigns and flash windows where they were', () => {
    const s = loadScenario('flash-sale');
    const h = withHistory(s, 72);
    expect(h.epochMs).toBe(s.epochMs - 72 * HOUR_MS);
    expect(h.durationMs).toBe(s.durationMs + 72 * HOUR_MS);
    expect(h.epochMs + h.durationMs).toBe(s.epochMs + s.durationMs);
    expect(campaignsAt(h, h.epochMs)).toEqual(campaignsAt(s, s.epochMs));
  });

  it("keeps launch items' launch instant", () => {
    const s = loadScenario('new-product-launch');
    const h = withHistory(s, 24);
    const launchAt = (sc: typeof s) =>
      buildCatalog(sc)
        .items.filter((i) => i.launchOffsetMs > 0)
        .map((i) => [i.itemId, sc.epochMs + i.launchOffsetMs]);
    expect(launchAt(s).length).toBeGreaterThan(0);
    expect(launchAt(h)).toEqual(launchAt(s));
  });

  it('returns the scenario itself for 0 hours and refuses negative hours', () => {
    const s = loadScenario('double-11');
    expect(withHistory(s, 0)).toBe(s);
    expect(() => withHistory(s, -1)).toThrow(ScenarioError);
  });
});
