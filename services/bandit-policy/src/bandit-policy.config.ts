import { hostname } from 'node:os';
import { clickhouseVars } from '@offerstream/clickhouse';
import { env, type ConfigOf } from '@offerstream/config';
import { kafkaVars } from '@offerstream/kafka';

const hostPort = /^[A-Za-z0-9.-]+:\d{1,5}$/;

/** Variables the bandit-policy service reads (on top of the common service variables). */
export const banditPolicyVars = {
  ...kafkaVars,
  ...clickhouseVars,
  BANDIT_INSTANCE_ID: env.string({
    doc: 'Name of this replica in leases and decisions (served_by); must be unique among running replicas and stable across restarts (e.g. the pod name)',
    default: `${hostname()}`,
    pattern: /^[A-Za-z0-9._-]{1,64}$/,
    patternRule: 'must be 1..64 of [A-Za-z0-9._-]',
  }),
  BANDIT_CONSUMER_GROUP: env.string({
    doc: 'Prefix of this service’s consumer groups (decision sink and attribution are shared by all replicas; posterior and ledger readers are per replica)',
    default: 'offerstream.bandit-policy',
  }),
  BANDIT_DECISION_SINK: env.bool({
    doc: 'Whether this replica stores offerstream.decisions.v1 in ClickHouse and attributes rewards for the log partitions it consumes. On by default (one process does it all); in production the sink runs as its own deployment (k8s/base/bandit-sink) and the replicas that serve GetOffers set it false, so decoding and inserting the log never holds the event loop that answers',
    default: 'true',
  }),
  FEATURE_SERVICE_ADDR: env.string({
    doc: 'host:port of the feature service (GetFeatures)',
    default: '127.0.0.1:50052',
    pattern: hostPort,
    patternRule: 'must be host:port',
  }),
  SCORING_SERVICE_ADDR: env.string({
    doc: 'host:port of the scoring service (Score); `none` = never call it (cold-start and linear policies only)',
    default: '127.0.0.1:50053',
    pattern: /^none$|^[A-Za-z0-9.-]+:\d{1,5}$/,
    patternRule: 'must be host:port or none',
  }),
  BANDIT_MODEL_NAME: env.string({
    doc: 'Model asked for in ScoringService.Score (empty = the scorer’s default)',
    default: 'offer-uplift',
    pattern: /^$|^[a-z0-9-]{1,64}$/,
    patternRule: 'must be lower-case [a-z0-9-] or empty',
  }),
  BANDIT_SCORE_STALE_FEATURES: env.bool({
    doc: 'Whether the model scores a decision whose user features are stale (the user’s history still loading from ClickHouse: only what the stream brought since). Off by default: such a vector reads like a newcomer’s, and a model values a returning buyer wrongly on it (in the demo, stale decisions were a quarter of the decisions and two thirds of the offers shown to sure things and sleeping dogs); the arms are then valued as when the scorer is down (the linear posterior, or no offer with the policy parameter unscored_fallback 0) and the decision is flagged features_stale',
    default: 'false',
  }),
  BANDIT_HOLDOUT_FEATURES: env.bool({
    doc: 'Whether a decision that holds the user out of every eligible campaign (no offer to decide) still fetches the user’s features, to log them with the decision. On by default: the uplift model’s control head learns from holdout decisions, and without logged features the trainer recomputes them from raw events, which sees events the serving path had not yet (the add-to-cart just before the cart page) and no cart items. In the demo that skew put a model’s uplift at +0.12 on sure things and −0.01 on persuadables. The answer never waits on it beyond the feature share of the deadline, and a failure or a late answer neither degrades nor changes it (the decision is logged without features)',
    default: 'true',
  }),
  BANDIT_SHED_LAG_MS: env.int({
    doc: 'Load shedding: while the event loop’s delay (the largest in each 100 ms window, sampled every 10 ms) is above this, a growing share of GetOffers calls skips the feature and scoring calls and is answered from the posteriors alone, flagged overload (the share rises by 0.1 per window over it and falls by 0.05 per window under it). Calls then keep being answered within their deadlines instead of timing out in the queue. 0 = off (the default): every call takes the full path however late',
    default: '0',
    min: 0,
    max: 10_000,
  }),
  BANDIT_DEFAULT_DEADLINE_MS: env.int({
    doc: 'Time budget of a GetOffers call that carries no gRPC deadline',
    default: '30',
    min: 5,
    max: 10000,
  }),
  BANDIT_FEATURE_SHARE: env.number({
    doc: 'Share of the remaining deadline given to GetFeatures (the rest to scoring and the policy); on timeout the decision degrades',
    default: '0.45',
    min: 0.05,
    max: 0.95,
  }),
  BANDIT_ANSWER_MARGIN_MS: env.int({
    doc: 'Time kept back from the deadline to choose, reserve, log and answer',
    default: '3',
    min: 0,
    max: 1000,
  }),
  BANDIT_MAX_SLOTS: env.int({
    doc: 'Most offer slots one GetOffers may ask for (more: INVALID_ARGUMENT naming the limit)',
    default: '10',
    min: 1,
    max: 50,
  }),
  BANDIT_MAX_CANDIDATES: env.int({
    doc: 'Most eligible offers considered per decision (the rest by campaign order are dropped)',
    default: '200',
    min: 1,
    max: 500,
  }),
  BANDIT_PROPENSITY_SAMPLES: env.int({
    doc: 'Posterior re-draws that estimate a Thompson-sampling propensity (Monte Carlo)',
    default: '256',
    min: 16,
    max: 100000,
  }),
  BANDIT_LEASE_SHARE: env.number({
    doc: 'Share of a campaign’s remaining budget/stock one lease asks for (smaller: less stranded by a crashed replica, more ledger traffic)',
    default: '0.1',
    min: 0.001,
    max: 1,
  }),
  BANDIT_LEASE_MIN_MINOR: env.int({
    doc: 'Smallest budget lease asked for, minor units (when the remaining budget allows)',
    default: '500',
    min: 1,
    max: 1_000_000_000,
  }),
  BANDIT_PACING_FLOOR: env.number({
    doc: 'Budget pacing: how far the spend may be from its plan (share of the budget, negative = below it) before the pacer prices offers at all; below it every offer worth showing is shown',
    default: '-0.015',
    min: -0.5,
    max: 0.5,
  }),
  BANDIT_PACING_CEILING: env.number({
    doc: 'Budget pacing: spend minus plan (share of the budget) at which the price λ reaches 1 (an offer must be worth its whole expected cost); it rises on above it, to 10. Must be above BANDIT_PACING_FLOOR',
    default: '0.005',
    min: -0.5,
    max: 0.5,
  }),
  BANDIT_PACING_INTERVAL_MS: env.int({
    doc: 'How often budget pacing prices each budgeted campaign again from its spend so far (its λ holds in between)',
    default: '250',
    min: 10,
    max: 60000,
  }),
  BANDIT_TRAFFIC_PROFILE_DAYS: env.int({
    doc: 'Budget pacing: how many past days of the decision log give each shop its traffic share by hour of the day, which budget plans follow (a daily budget over the local day, a total budget over the schedule); a shop is planned evenly in time until its decisions reach back a whole day (at least 240 of them). 0 = every plan even in time',
    default: '7',
    min: 0,
    max: 60,
  }),
  BANDIT_TRAFFIC_PROFILE_REFRESH_MS: env.int({
    doc: 'How often the shops’ hourly traffic shares are read again from the decision log (BANDIT_TRAFFIC_PROFILE_DAYS)',
    default: '3600000',
    min: 10000,
    max: 86400000,
  }),
  BANDIT_ACTIVATION_WINDOW_MS: env.int({
    doc: 'How long a deferred decision (defer_activation) waits for its OFFER_IMPRESSION before it lapses and its reservations are released',
    default: '900000',
    min: 1000,
    max: 7 * 86_400_000,
  }),
  BANDIT_OFFER_TTL_MS: env.int({
    doc: 'How long a shown offer may be redeemed (its expires_at; capped by the campaign’s attribution window): its budget and stock are held that long, then settled from its redemptions',
    default: '1800000',
    min: 1000,
    max: 30 * 86_400_000,
  }),
  BANDIT_REDEEM_GRACE_MS: env.int({
    doc: 'How long after an offer expires its redemptions are looked up (time for the redemption events to be stored)',
    default: '10000',
    min: 0,
    max: 3_600_000,
  }),
  BANDIT_SETTLE_INTERVAL_MS: env.int({
    doc: 'How often reservations past their expiry plus BANDIT_REDEEM_GRACE_MS are settled from their stored redemptions (the budget an unredeemed offer held goes back to the lease then; a reservation waits up to this long past its grace)',
    default: '1000',
    min: 50,
    max: 60000,
  }),
  BANDIT_SETTLE_GRACE_MS: env.int({
    doc: 'How long past its expiry a reservation whose redemptions cannot be read (ClickHouse away) is kept before it is released anyway',
    default: '3600000',
    min: 0,
    max: 7 * 86_400_000,
  }),
  BANDIT_ATTRIBUTION_INTERVAL_MS: env.int({
    doc: 'How often attribution closes windows and emits rewards/activations',
    default: '1000',
    min: 100,
    max: 600000,
  }),
  BANDIT_ATTRIBUTION_GRACE_MS: env.int({
    doc: 'How long after a window’s end attribution waits for late events to be stored before it finalises the reward',
    default: '3000',
    min: 0,
    max: 3_600_000,
  }),
  BANDIT_RECHECK_HOURS: env.int({
    doc: 'Final rewards younger than this are revised when a refund or late event for them arrives',
    default: '72',
    min: 0,
    max: 24 * 90,
  }),
  BANDIT_SEED: env.string({
    doc: 'Seed of the decisions’ random draws (exploration, Monte-Carlo propensities); empty = fresh randomness per decision. Set it to make a replica’s draws reproducible (tests, replays); each decision still logs its own seed',
    default: '',
    pattern: /^$|^\d{1,19}$/,
    patternRule: 'must be a whole number (up to 19 digits) or empty',
  }),
  BANDIT_POSTERIOR_HORIZON_DAYS: env.int({
    doc: 'Rewards older than this are not loaded into the posteriors at start (bounded start-up; slow drift forgotten)',
    default: '30',
    min: 1,
    max: 3650,
  }),
} as const;

export type BanditPolicyConfig = ConfigOf<typeof banditPolicyVars>;
