/** A topic offerstream owns, declared once: local provisioning and the Strimzi manifests follow it. */
export interface TopicSpec {
  readonly name: string;
  readonly partitions: number;
  readonly cleanupPolicy: 'delete' | 'compact';
  /** -1 keeps data forever (compacted topics). */
  readonly retentionMs: number;
  readonly description: string;
  readonly extraConfig?: Readonly<Record<string, string>>;
}

const DAY = 24 * 60 * 60 * 1000;

/** Every topic, keyed by its role. All keyed by user id except campaigns (campaign id), ledger (the campaign) and models (name@version). */
export const TOPICS = {
  events: {
    name: 'offerstream.events.v1',
    partitions: 12,
    cleanupPolicy: 'delete',
    retentionMs: 7 * DAY,
    description: 'Raw behaviour events from producers (protobuf Event, key user_id)',
  },
  eventsValid: {
    name: 'offerstream.events.valid.v1',
    partitions: 12,
    cleanupPolicy: 'delete',
    retentionMs: 7 * DAY,
    description: 'Validated, normalised, de-duplicated events (protobuf Event, key user_id)',
  },
  eventsDlq: {
    name: 'offerstream.events.dlq.v1',
    partitions: 3,
    cleanupPolicy: 'delete',
    retentionMs: 30 * DAY,
    description: 'Rejected events with original bytes and a reason (protobuf DeadLetter)',
  },
  decisions: {
    name: 'offerstream.decisions.v1',
    partitions: 12,
    cleanupPolicy: 'delete',
    retentionMs: 30 * DAY,
    description: 'Every GetOffers decision with candidates, scores and propensities (key user_id)',
  },
  activations: {
    name: 'offerstream.activations.v1',
    partitions: 12,
    cleanupPolicy: 'delete',
    retentionMs: 30 * DAY,
    description:
      'Deferred decisions activated by their impression (protobuf DecisionActivated, key user_id)',
  },
  rewards: {
    name: 'offerstream.rewards.v1',
    partitions: 12,
    cleanupPolicy: 'delete',
    retentionMs: 30 * DAY,
    description: 'Attributed outcomes of decisions (key user_id)',
  },
  // Every replica folds the whole ledger to know which leases were granted: keep it all.
  ledger: {
    name: 'offerstream.ledger.v1',
    partitions: 3,
    cleanupPolicy: 'delete',
    retentionMs: -1,
    description:
      'Budget and stock leases of bandit-policy replicas (protobuf LedgerEntry, key [shop_id, campaign_id])',
  },
  campaigns: {
    name: 'offerstream.campaigns.v1',
    partitions: 3,
    cleanupPolicy: 'compact',
    retentionMs: -1,
    description: 'Campaign catalog, the source of truth (key campaign_id; tombstone deletes)',
    extraConfig: { 'min.compaction.lag.ms': '0' },
  },
  models: {
    name: 'offerstream.models.v1',
    partitions: 1,
    cleanupPolicy: 'compact',
    retentionMs: -1,
    description:
      'Model announcements (key "<model_name>@<model_version>", so a shadow never erases production)',
  },
} as const satisfies Record<string, TopicSpec>;

export type TopicRole = keyof typeof TOPICS;

/** The declared topics with a name prefix (tests use one per test so they never share data). */
export function topicSpecs(prefix = ''): TopicSpec[] {
  return Object.values(TOPICS).map((t) => ({ ...t, name: prefix + t.name }));
}

/** The topic configuration Kafka should hold for a spec. */
export function topicConfig(spec: TopicSpec): Record<string, string> {
  return {
    'cleanup.policy': spec.cleanupPolicy,
    'retention.ms': String(spec.retentionMs),
    ...(spec.extraConfig ?? {}),
  };
}
