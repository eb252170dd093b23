import type { PolicyConfig } from '@offerstream/contracts';
import { catalogOffers, type CatalogOffer } from '@offerstream/features';
import { CampaignBook } from '../campaign-book';
import { buildCatalog } from '../catalog';
import { Market } from '../market';
import type { SeriesPoint } from '../report';
import { campaignsAt, type Scenario } from '../scenario';
import { HOUR_MS } from '../time.util';
import { ArmLedger, type ArmFigures } from './arm-ledger';
import type { EventPublisher } from './event-publisher.adapter';
import { flashStockOf, liftWindowOf } from './in-process-arms';
import {
  LiveArmDriver,
  OfferstreamDecider,
  VwDecider,
  type DecisionTruthRow,
  type LiveArm,
  type LiveDecider,
} from './live-arm';
import { armScenario, liveCampaigns, liveWindowMs } from './live-scenario';
import type { OfferstreamClient } from './offerstream.adapter';
import { TimeWarp } from './time-warp';
import { VwLearner } from './vw.adapter';

/** One live arm of a phase. */
export interface LiveArmSpec {
  /** Report name, e.g. "offerstream-thompson" (offerstream arms start with "offerstream"). */
  readonly name: string;
  /** The arm's own shop id: features, campaigns, budgets, posteriors and holdout are separate. */
  readonly shopId: string;
  readonly kind: 'offerstream' | 'vw';
  /** offerstream arms: the campaign policy (else the scenario's). */
  readonly policy?: PolicyConfig;
  /** How the report describes the policy. */
  readonly policyLabel: string;
}

/** The Vowpal Wabbit process of a "vw" arm. */
export interface VwSettings {
  readonly python: string;
  readonly script: string;
  /** VW options (default: the script's). */
  readonly args?: string;
  /** Rewards (minor units) are divided by this before VW sees them; default 1000. */
  readonly rewardScale?: number;
}

/** Options of {@link runLivePhase}. */
export interface LivePhaseOptions {
  /** The live-equivalent scenario (see liveEquivalent). */
  readonly scenario: Scenario;
  readonly simStartMs: number;
  /** Simulated ms per real ms. */
  readonly speedup: number;
  readonly warmupEndMs: number;
  /** Makes the phase's campaign ids unique (posteriors and pacing are kept by campaign id). */
  readonly runId: string;
  readonly arms: readonly LiveArmSpec[];
  readonly client: OfferstreamClient;
  readonly publisher: EventPublisher;
  readonly vw?: VwSettings;
  /** gRPC deadline of GetOffers / GetFeatures; default 250 ms. */
  readonly deadlineMs?: number;
  /** Progress lines (every progressEveryMs, default 5 s). */
  readonly progress?: (line: string) => void;
  readonly progressEveryMs?: number;
  /** How long after the last event to wait for the last rewards before reading the stats; default 6 s. */
  readonly settleMs?: number;
  /** Real ms between creating the campaigns and the simulated start; default 2 s. */
  readonly leadMs?: number;
  /**
   * Least real ms between a session's last event and its cart-page request (default 0).
   * Compressed time puts the request a few ms after the add-to-cart; a real shopper takes
   * seconds, in which the system takes the events in.
   */
  readonly cartPageGapMs?: number;
  /** Receives every live decision with the truth of each offer (off-policy evaluation). */
  readonly decisionLog?: (row: DecisionTruthRow) => void;
  /**
   * Runs the simulated time before `untilSimMs` (the shop's history before its campaigns)
   * `speedup` times faster than the phase's own speed-up; no cart page in it asks GetOffers.
   */
  readonly fastForward?: { readonly untilSimMs: number; readonly speedup: number };
}

/** A phase's arms and what the system said about its campaigns. */
export interface LivePhaseResult {
  readonly arms: ArmFigures[];
  readonly warp: TimeWarp;
  /** Real wall-clock seconds the phase took. */
  readonly seconds: number;
  /** Campaign ids by arm name. */
  readonly campaigns: Readonly<Record<string, readonly string[]>>;
  /**
   * The feature-level catalog of each arm's live campaigns, by arm name (what the feature
   * service read from campaigns.v1): the trainer's --catalog, so that features it recomputes
   * know each offer's kind and depth as the served ones did.
   */
  readonly catalog: Readonly<Record<string, readonly CatalogOffer[]>>;
  /** Events produced to Kafka. */
  readonly events: number;
  readonly notes: readonly string[];
}

/** The first quarter of the first campaign's schedule is warm-up (learners still exploring). */
export function defaultWarmupEnd(s: Scenario, simStartMs: number): number {
  const c = campaignsAt(s, simStartMs)[0];
  const from = c?.schedule?.startTime?.getTime() ?? simStartMs;
  const to = c?.schedule?.endTime?.getTime() ?? simStartMs + s.durationMs;
  return Math.ceil((from + (to - from) / 4 - simStartMs) / HOUR_MS) * HOUR_MS + simStartMs;
}

/** The planned cumulative spend at every simulated hour (campaigns spending evenly). */
export function budgetPlan(s: Scenario, simStartMs: number): SeriesPoint[] {
  const book = new CampaignBook(campaignsAt(s, simStartMs), buildCatalog(s));
  const out: SeriesPoint[] = [];
  for (let t = simStartMs; t <= simStartMs + s.durationMs; t += HOUR_MS) {
    const v = book.plannedSpendMinor(t);
    if (v !== undefined) out.push({ tMs: t, value: v });
  }
  return out;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const eur = (minor: number) =>
  (minor / 100).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/**
 * One phase of live arms, side by side on their own copies of the market and their own
 * shops: creates each arm's campaigns through CampaignService (real-time schedules, total
 * budget, compressed attribution window), drives every arm until the market ends, waits for
 * the last rewards and reads GetCampaignStats.
 */
export async function runLivePhase(o: LivePhaseOptions): Promise<LivePhaseResult> {
  const started = Date.now();
  const deadlineMs = o.deadlineMs ?? 250;
  const warp = new TimeWarp(
    o.simStartMs,
    Date.now() + (o.leadMs ?? 2000),
    o.speedup,
    o.fastForward && {
      untilSimMs: o.fastForward.untilSimMs,
      speedup: o.speedup * o.fastForward.speedup,
    },
  );
  const flashStock = flashStockOf(o.scenario);
  const liftWindowMs = liftWindowOf(o.scenario, o.simStartMs);
  const notes: string[] = [];
  const campaigns: Record<string, string[]> = {};
  const catalog: Record<string, CatalogOffer[]> = {};
  let vw: VwLearner | undefined;
  const arms: { spec: LiveArmSpec; arm: LiveArm; campaignIds: string[] }[] = [];
  try {
    for (const spec of o.arms) {
      const scen = armScenario(o.scenario, {
        shopId: spec.shopId,
        campaignSuffix: `-${o.runId}`,
      });
      const live = liveCampaigns(scen, warp, spec.kind === 'offerstream' ? spec.policy : undefined);
      for (const c of live) await o.client.createCampaign(c, `market run ${o.runId}: ${spec.name}`);
      const ids = live.map((c) => c.campaignId);
      campaigns[spec.name] = ids;
      catalog[spec.name] = live.flatMap(catalogOffers);
      const first = live[0];
      const windowSimMs = first ? liveWindowMs(first, warp) * o.speedup : 0;
      const market = new Market(scen, o.simStartMs);
      const ledger = new ArmLedger(spec.name, 'live', {
        warmupEndMs: o.warmupEndMs,
        flashStock,
        liftWindowMs,
      });
      let decider: LiveDecider;
      if (spec.kind === 'vw') {
        if (!o.vw) throw new Error(`arm ${spec.name} needs VW settings`);
        vw ??= await VwLearner.start(o.vw.python, o.vw.script, o.vw.args);
        const info = await vw.info();
        notes.push(
          `${spec.name}: Vowpal Wabbit ${info.vw} (${info.args}), reward = the decision's attributed profit / ${o.vw.rewardScale ?? 1000}`,
        );
        decider = new VwDecider({
          client: o.client,
          vw,
          vwArgs: info.args,
          market,
          book: new CampaignBook(campaignsAt(scen, o.simStartMs), market.catalog),
          shopId: spec.shopId,
          currency: o.scenario.currency,
          deadlineMs,
          windowSimMs,
          rewardScale: o.vw.rewardScale ?? 1000,
        });
      } else {
        decider = new OfferstreamDecider({
          client: o.client,
          shopId: spec.shopId,
          currency: o.scenario.currency,
          deadlineMs,
          policy: spec.policyLabel,
          // The shop's churn model, as the in-process arms and the VW reference see it
          // (campaign rules on churn risk; offerstream's own is recency-based).
          traits: (userId) => ({
            segments: [],
            churnRisk: market.population.byId.get(userId)?.predictedChurnRisk,
          }),
        });
      }
      const systemSpend = async () => {
        let sum = 0;
        for (const id of ids) sum += (await o.client.campaignStats(spec.shopId, id)).spentMinor;
        return sum;
      };
      arms.push({
        spec,
        campaignIds: ids,
        arm: {
          name: spec.name,
          market,
          decider,
          ledger,
          windowSimMs,
          systemSpend,
          decisionLog: o.decisionLog,
          asksFromSimMs: o.fastForward?.untilSimMs,
        },
      });
    }
    if (arms[0] && (o.cartPageGapMs ?? 0) > 0)
      notes.push(
        `cart page: asked at least ${o.cartPageGapMs} ms (real) after the session's last event (${(((o.cartPageGapMs ?? 0) * o.speedup) / 60_000).toFixed(0)} simulated minutes), as a shopper takes seconds to get there; compressed time alone would ask a few ms after the add-to-cart, before the system has taken it in`,
      );
    if (arms[0]) {
      const c = campaignsAt(o.scenario, o.simStartMs)[0];
      if (c) {
        const sim = (c.attributionWindow?.seconds ?? 86_400) * 1000;
        const real = liveWindowMs(c, warp);
        notes.push(
          `compressed time S = ${Math.round(o.speedup)}: ${o.scenario.durationMs / HOUR_MS} simulated hours in ${(warp.realSpan(o.simStartMs + o.scenario.durationMs) / 1000).toFixed(0)} s${o.fastForward ? ` (the ${((o.fastForward.untilSimMs - o.simStartMs) / HOUR_MS).toFixed(0)} hours of history before the campaigns ${o.fastForward.speedup}× faster, S = ${Math.round(o.speedup * o.fastForward.speedup)}, without GetOffers)` : ''}; attribution window ${sim / HOUR_MS} h → ${(real / 1000).toFixed(1)} s real` +
            (real * o.speedup > sim + 1
              ? ` (the 10 s minimum: ${((real * o.speedup) / HOUR_MS).toFixed(1)} simulated hours)`
              : ''),
        );
      }
    }
    const drivers = arms.map(
      (a) => new LiveArmDriver(a.arm, warp, o.publisher, undefined, o.cartPageGapMs ?? 0),
    );
    const every = o.progressEveryMs ?? 5000;
    const endSim = o.simStartMs + o.scenario.durationMs;
    const progress = setInterval(() => {
      if (!o.progress) return;
      const simH = (Math.min(endSim, warp.toSim(Date.now())) - o.simStartMs) / HOUR_MS;
      const parts = drivers.map((d) => {
        const p = d.arm.ledger.progress;
        return `${d.arm.name}: ${p.decisions} decisions, ${p.offersShown} offers, ${p.orders} orders, true incr. ${eur(p.trueIncMinor)}, spent ${eur(p.spentMinor)}${d.progress.lagMs > 500 ? `, ${(d.progress.lagMs / 1000).toFixed(1)} s behind` : ''}`;
      });
      const ev = o.publisher.counts;
      o.progress(
        `[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] sim ${Math.max(0, simH).toFixed(1).padStart(4)}/${o.scenario.durationMs / HOUR_MS} h | ${parts.join(' | ')} | ${ev.sent} events sent${ev.failures > 0 ? `, ${ev.failures} failed sends` : ''}`,
      );
    }, every);
    try {
      await Promise.all(drivers.map((d) => d.run()));
    } finally {
      clearInterval(progress);
    }
    await o.publisher.flush();
    await sleep(o.settleMs ?? 6000);
    const figures: ArmFigures[] = [];
    for (const [i, a] of arms.entries()) {
      let stats: NonNullable<ArmFigures['live']>['stats'];
      try {
        const all = await Promise.all(
          a.campaignIds.map((id) => o.client.campaignStats(a.spec.shopId, id)),
        );
        stats = {
          spentMinor: all.reduce((s, x) => s + x.spentMinor, 0),
          reservedMinor: all.reduce((s, x) => s + x.reservedMinor, 0),
          decisions: all.reduce((s, x) => s + x.decisions, 0),
          holdoutDecisions: all.reduce((s, x) => s + x.holdoutDecisions, 0),
          impressions: all.reduce((s, x) => s + x.impressions, 0),
          redemptions: all.reduce((s, x) => s + x.redemptions, 0),
        };
      } catch (err) {
        notes.push(
          `${a.spec.name}: GetCampaignStats failed at the end (${(err as Error).message})`,
        );
      }
      const failures = drivers[i]!.failures;
      if (failures > 0) notes.push(`${a.spec.name}: ${failures} learning calls failed`);
      figures.push(
        a.arm.ledger.figures({
          shopId: a.spec.shopId,
          campaignIds: a.campaignIds,
          policy: a.arm.decider.policy,
          ...a.arm.decider.facts(),
          ...(stats ? { stats } : {}),
        }),
      );
    }
    const ev = o.publisher.counts;
    if (ev.failures > 0)
      notes.push(
        `${ev.failures} Kafka sends failed (${ev.lastError ?? 'unknown error'}): their events were lost`,
      );
    return {
      arms: figures,
      warp,
      seconds: (Date.now() - started) / 1000,
      campaigns,
      catalog,
      events: ev.sent,
      notes,
    };
  } finally {
    await vw?.close();
  }
}
