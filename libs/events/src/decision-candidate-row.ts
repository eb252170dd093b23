/**
 * The model columns of a `decision_candidates` row (migration 0004) that no model scored:
 * a control row (offer '', the outcome of showing nothing) or an offer logged without
 * scores. bandit-policy's decision sink and the market's offline dataset both write them.
 */
export const UNSCORED_CANDIDATE_COLUMNS = Object.freeze({
  feature_index: -1,
  candidate_features: Object.freeze([]),
  policy_features: Object.freeze([]),
  scored: 0,
  p_click: 0,
  p_purchase: 0,
  p_purchase_given_offer: 0,
  p_purchase_no_offer: 0,
  uplift: 0,
  expected_value_minor: 0,
});
