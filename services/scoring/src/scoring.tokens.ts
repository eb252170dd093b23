export const SCORING_SPEC = Symbol('SCORING_SPEC');
export const SCORING_METRICS = Symbol('SCORING_METRICS');
