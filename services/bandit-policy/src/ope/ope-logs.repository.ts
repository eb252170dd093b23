import {
  ident,
  queryRows,
  sql,
  toSafeInt,
  type ClickHouseClient,
  type SqlFragment,
} from '@offerstream/clickhouse';

/** One candidate of a logged decision, with what the logging policy valued it with. */
export interface LoggedCandidate {
  readonly offerId: string;
  readonly campaignId: string;
  readonly rank: number;
  readonly propensity: number;
  readonly selectionProbability: number;
  readonly policy: string;
  readonly segment: string;
  readonly x: readonly number[];
  readonly scored: boolean;
  readonly expectedValueMinor: number;
  readonly marginMinor: number;
  readonly redemptionCostMinor: number;
  readonly expectedCostMinor: number;
  readonly budgetPrice: number;
  readonly objective: string;
}

/** A logged decision as OPE reads it: its candidates and the reward of what it did (slot 1). */
export interface LoggedContext {
  readonly decisionId: string;
  readonly shopId: string;
  readonly servedAtMs: number;
  readonly noOfferPropensity: number;
  readonly candidates: LoggedCandidate[];
  /** Reward of the slot-1 offer, or of showing nothing (the "nothing shown" control row). */
  reward: number | undefined;
}

export interface LogFilter {
  readonly fromMs: number;
  readonly untilMs: number;
  readonly shopId?: string;
  readonly campaignId?: string;
}

const secs = (ms: number) => Math.floor(ms / 1000);

function where(f: LogFilter): SqlFragment {
  let w = sql`served_at >= toDateTime(${secs(f.fromMs)}) AND served_at < toDateTime(${secs(f.untilMs) + 1})
    AND served_at_ms >= ${f.fromMs} AND served_at_ms < ${f.untilMs}`;
  if (f.shopId) w = sql`${w} AND shop_id = ${f.shopId}`;
  if (f.campaignId) w = sql`${w} AND campaign_id = ${f.campaignId}`;
  return w;
}

export const opeQueries = {
  /** Candidates of non-holdout decisions in the window (chosen or not; control rows excluded). */
  candidates: (f: LogFilter): SqlFragment =>
    sql`SELECT decision_id, shop_id, served_at_ms, offer_id, campaign_id, rank, propensity, selection_probability,
               policy, segment, policy_features, scored, expected_value_minor, margin_minor,
               redemption_cost_minor, expected_cost_minor, budget_price, objective
        FROM ${ident('decision_candidates')} FINAL
        WHERE ${where(f)} AND holdout = 0 AND offer_id != ''`,
  /** The decisions' propensity of showing nothing. */
  decisions: (f: LogFilter): SqlFragment =>
    sql`SELECT DISTINCT decision_id, no_offer_propensity, holdout
        FROM ${ident('decisions')}
        WHERE served_at >= toDateTime(${secs(f.fromMs)}) AND served_at < toDateTime(${secs(f.untilMs) + 1})
          ${f.shopId ? sql`AND shop_id = ${f.shopId}` : sql``}`,
  /** The latest value of the slot-1 and "nothing shown" rewards in the window. */
  rewards: (f: LogFilter): SqlFragment =>
    sql`SELECT reward_id, argMax(reward_value, revision) AS r_value, any(decision_id) AS r_decision,
               any(rank) AS r_rank, any(holdout) AS r_holdout
        FROM ${ident('rewards')}
        WHERE ${where(f)} AND final = 1 AND (rank = 1 OR (rank = 0 AND holdout = 0))
        GROUP BY reward_id`,
};

/** Reads logged decisions and their rewards for off-policy evaluation. */
export class OpeLogsRepository {
  constructor(private readonly ch: ClickHouseClient) {}

  async load(f: LogFilter): Promise<LoggedContext[]> {
    const [cands, decisions, rewards] = await Promise.all([
      queryRows<{
        decision_id: string;
        shop_id: string;
        served_at_ms: string;
        offer_id: string;
        campaign_id: string;
        rank: number;
        propensity: number;
        selection_probability: number;
        policy: string;
        segment: string;
        policy_features: number[];
        scored: number;
        expected_value_minor: number;
        margin_minor: number;
        redemption_cost_minor: number;
        expected_cost_minor: number;
        budget_price: number;
        objective: string;
      }>(this.ch, opeQueries.candidates(f)),
      queryRows<{ decision_id: string; no_offer_propensity: number; holdout: number }>(
        this.ch,
        opeQueries.decisions(f),
      ),
      queryRows<{ reward_id: string; r_value: number; r_decision: string; r_rank: number }>(
        this.ch,
        opeQueries.rewards(f),
      ),
    ]);
    const noOffer = new Map(
      decisions.filter((d) => d.holdout === 0).map((d) => [d.decision_id, d.no_offer_propensity]),
    );
    const out = new Map<string, LoggedContext>();
    for (const c of cands) {
      const p = noOffer.get(c.decision_id);
      if (p === undefined) continue;
      let ctx = out.get(c.decision_id);
      if (!ctx) {
        ctx = {
          decisionId: c.decision_id,
          shopId: c.shop_id,
          servedAtMs: toSafeInt(c.served_at_ms),
          noOfferPropensity: p,
          candidates: [],
          reward: undefined,
        };
        out.set(c.decision_id, ctx);
      }
      ctx.candidates.push({
        offerId: c.offer_id,
        campaignId: c.campaign_id,
        rank: c.rank,
        propensity: c.propensity,
        selectionProbability: c.selection_probability,
        policy: c.policy,
        segment: c.segment,
        x: c.policy_features,
        scored: c.scored === 1,
        expectedValueMinor: c.expected_value_minor,
        marginMinor: c.margin_minor,
        redemptionCostMinor: c.redemption_cost_minor,
        expectedCostMinor: c.expected_cost_minor,
        budgetPrice: c.budget_price,
        objective: c.objective,
      });
    }
    // Slot-1 rewards, else the "nothing shown" reward (every campaign's control row of a
    // decision is credited with the same purchases: take one).
    const nothing = new Map<string, number>();
    for (const r of rewards) {
      const ctx = out.get(r.r_decision);
      if (!ctx) continue;
      if (r.r_rank === 1) ctx.reward = r.r_value;
      else if (!nothing.has(r.r_decision)) nothing.set(r.r_decision, r.r_value);
    }
    for (const [id, v] of nothing) {
      const ctx = out.get(id);
      if (ctx && ctx.reward === undefined && !ctx.candidates.some((c) => c.rank === 1))
        ctx.reward = v;
    }
    return [...out.values()].filter((c) => c.reward !== undefined);
  }
}
