import { TOPICS, topicConfig, topicSpecs } from './topics';

describe('topics', () => {
  it('declares every topic once, versioned, with a positive partition count', () => {
    const names = topicSpecs().map((t) => t.name);
    expect(new Set(names).size).toBe(names.length);
    for (const t of topicSpecs()) {
      expect(t.name).toMatch(/^offerstream\.[a-z.]+\.v\d+$/);
      expect(t.partitions).toBeGreaterThan(0);
    }
  });

  it('compacts the catalog topics and keeps them forever', () => {
    expect(topicConfig(TOPICS.campaigns)).toMatchObject({
      'cleanup.policy': 'compact',
      'retention.ms': '-1',
    });
    expect(topicConfig(TOPICS.events)).toEqual({
      'cleanup.policy': 'delete',
      'retention.ms': String(7 * 86400000),
    });
  });

  it('prefixes names for isolated test runs', () => {
    expect(topicSpecs('t-1.').every((t) => t.name.startsWith('t-1.offerstream.'))).toBe(true);
  });
});
