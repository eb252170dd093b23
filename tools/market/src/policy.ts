import type { ObservedUser } from './behaviour-log';
import type { Candidate } from './campaign-book';
import type { DecisionPoint } from './market';

/** What a policy sees when asked for an offer: the request, the candidates and the user's observed history. */
export interface DecisionContext {
  readonly decisionId: string;
  readonly shopId: string;
  readonly userId: string;
  readonly sessionId: string;
  readonly timeMs: number;
  /** The cart page: basket, channel, device, country. */
  readonly point: DecisionPoint;
  /** Eligible offers (holdout, budget, stock, caps already applied); never empty. */
  readonly candidates: readonly Candidate[];
  /** What the user's events so far show (never their latent type). */
  readonly history: ObservedUser;
}

/** What came of a decision, handed back to the policy that made it. */
export interface DecisionOutcome {
  readonly context: DecisionContext;
  /** The offer shown; null when none. */
  readonly offerId: string | null;
  readonly clicked: boolean;
  readonly purchased: boolean;
  readonly redeemed: boolean;
  readonly revenueMinor: number;
  /** Merchandise margin at full price of what was bought. */
  readonly marginMinor: number;
  /** Cost of the offer (discount or absorbed shipping). */
  readonly costMinor: number;
  /** marginMinor − costMinor: the session's profit, the reward a learner would use. */
  readonly profitMinor: number;
}

/**
 * A decision policy: the arms of the offline runner. Phase 2 wraps the real
 * bandit-policy service in the same interface.
 */
export interface Policy {
  /** Display name of the arm, e.g. "oracle". */
  readonly name: string;
  /** The offer id to show (one of ctx.candidates), or null for no offer. */
  decide(ctx: DecisionContext): string | null;
  /** Feedback once the session's outcome is known. */
  learn(outcome: DecisionOutcome): void;
}
