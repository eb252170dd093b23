export const INGEST_TOPICS = Symbol('INGEST_TOPICS');
export const INGEST_METRICS = Symbol('INGEST_METRICS');
export const EVENT_BUS = Symbol('EVENT_BUS');
