export const FEATURE_SPECS = Symbol('FEATURE_SPECS');
export const FEATURE_METRICS = Symbol('FEATURE_METRICS');
