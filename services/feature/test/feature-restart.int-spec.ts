import { EventType } from '@offerstream/contracts';
import { CURRENT_SPEC_VERSION, loadFeatureSpec } from '@offerstream/features';
import type { Kafka } from '@offerstream/kafka';
import type { RunningService } from '@offerstream/service-kit';
import { expectEventually, uniqueName } from '@offerstream/testing';
import { countRows } from './parity';
import type { ingestVars } from '../../ingest/src/ingest.config';
import { FeatureStateService } from '../src/feature-state.service';
import {
  event,
  featureClient,
  isolatedFeatureEnv,
  produceEvents,
  startFeature,
  startIngest,
  type Db,
} from './support';

const spec = loadFeatureSpec(CURRENT_SPEC_VERSION);
const u = (values: number[], name: string) => values[spec.userIndex.get(name)!]!;
const HOUR_MIN = 60;

describe('feature service restart', () => {
  let kafka: Kafka;
  let db: Db;
  let prefix: string;
  let featureEnv: Record<string, string>;
  let ingest: RunningService<typeof ingestVars>;

  beforeAll(async () => {
    const env = await isolatedFeatureEnv();
    ({ kafka, db, prefix } = env);
    // Restores are what is tested, not their latency: a busy machine must not turn a load
    // from ClickHouse into a stale answer from memory.
    featureEnv = { ...env.featureEnv, FEATURE_LOAD_BUDGET_MS: '10000' };
    ingest = await startIngest(env.ingestEnv);
  });

  afterAll(async () => {
    await ingest?.stop();
    await db?.drop();
  });

  it('comes back with the same state from ClickHouse, without replaying the stream', async () => {
    const user = 'u-restart';
    // 30 days of history: 24 views, 3 carts, 2 purchases, spread over 6 days.
    const history = [
      ...Array.from({ length: 24 }, (_, i) =>
        event(EventType.EVENT_TYPE_VIEW, user, (i % 6) * 24 * HOUR_MIN + 30 + i),
      ),
      ...[1, 2, 3].map((d) =>
        event(EventType.EVENT_TYPE_ADD_TO_CART, user, d * 24 * HOUR_MIN, {
          quantity: 1,
          priceMinor: 2500,
          currency: 'EUR',
        }),
      ),
      ...[1, 4].map((d) =>
        event(EventType.EVENT_TYPE_PURCHASE, user, d * 24 * HOUR_MIN - 5, {
          orderId: `o-${d}`,
          priceMinor: 2500,
          quantity: 2,
          currency: 'EUR',
        }),
      ),
    ];
    await produceEvents(kafka, prefix, history);
    await expectEventually(
      async () => expect(await countRows(db.client, user)).toBe(history.length),
      {
        timeoutMs: 30_000,
      },
    );

    const a = await startFeature(featureEnv);
    const ca = featureClient(a.grpcPort);
    let before: number[];
    try {
      const r = await ca.get({ shopId: 'shop-f', userId: user });
      before = r.features!.user!.values;
      expect(u(before, 'u_views_30d')).toBeCloseTo(Math.log1p(24), 5);
      expect(u(before, 'u_purchases_30d')).toBeCloseTo(Math.log1p(2), 5);
      // Fresh events reach the loaded user through the stream.
      await produceEvents(kafka, prefix, [
        event(EventType.EVENT_TYPE_VIEW, user, 0),
        event(EventType.EVENT_TYPE_VIEW, user, 0),
      ]);
      await expectEventually(
        async () =>
          expect(
            u(
              (await ca.get({ shopId: 'shop-f', userId: user })).features!.user!.values,
              'u_views_30d',
            ),
          ).toBeCloseTo(Math.log1p(26), 5),
        { timeoutMs: 20_000 },
      );
    } finally {
      ca.close();
      await a.stop();
    }
    // While it is down, one more event lands in ClickHouse.
    await produceEvents(kafka, prefix, [
      event(EventType.EVENT_TYPE_ADD_TO_CART, user, 0, { quantity: 1 }),
    ]);
    await expectEventually(
      async () => expect(await countRows(db.client, user)).toBe(history.length + 3),
      {
        timeoutMs: 30_000,
      },
    );

    const b = await startFeature(featureEnv); // same consumer group: resumes, does not replay
    const fresh = await startFeature({
      ...featureEnv,
      FEATURE_CONSUMER_GROUP: uniqueName('feature'),
    });
    const cb = featureClient(b.grpcPort);
    const cf = featureClient(fresh.grpcPort);
    try {
      const rb = (await cb.get({ shopId: 'shop-f', userId: user })).features!;
      const rf = (await cf.get({ shopId: 'shop-f', userId: user })).features!;
      expect(u(rb.user!.values, 'u_views_30d')).toBeCloseTo(Math.log1p(26), 5);
      expect(u(rb.user!.values, 'u_add_to_carts_30d')).toBeCloseTo(Math.log1p(4), 5);
      expect(u(rb.user!.values, 'u_spend_30d')).toBeCloseTo(Math.log1p(100), 5);
      expect(rb.sequence.length).toBe(spec.sequence.default_length);
      // The restarted instance and one that never ran agree (both restored from ClickHouse).
      rb.user!.values.forEach((v, i) =>
        expect([spec.user[i]!.name, v]).toEqual([
          spec.user[i]!.name,
          expect.closeTo(rf.user!.values[i]!, 3),
        ]),
      );
      // Only what was left uncommitted was read again: not the history.
      const applied = b.app.get(FeatureStateService).applied;
      expect(applied).toBeLessThan(history.length);
    } finally {
      cb.close();
      cf.close();
      await b.stop();
      await fresh.stop();
    }
  });
});
