import { isDataError, type ClickHouseClient } from '@offerstream/clickhouse';
import type { Event } from '@offerstream/contracts';
import { AggregatesRepository, EventsRepository, toEventRow } from '@offerstream/events';
import { StoreRejectedDataError, type EventStore } from './ingest-pipeline.service';

/** The ClickHouse side of ingest: raw events in, durable de-duplication lookups out. */
export class EventStoreRepository implements EventStore {
  private readonly events: EventsRepository;
  private readonly aggregates: AggregatesRepository;

  constructor(private readonly client: ClickHouseClient) {
    this.events = new EventsRepository(client);
    this.aggregates = new AggregatesRepository(client);
  }

  async insert(events: readonly Event[], ingestedAt: Date): Promise<void> {
    try {
      await this.events.insert(events.map((e) => toEventRow(e, ingestedAt)));
    } catch (err) {
      if (isDataError(err))
        throw new StoreRejectedDataError(err instanceof Error ? err.message : String(err));
      throw err;
    }
  }

  existing(keys: readonly { shopId: string; eventId: string }[]): Promise<Set<string>> {
    return this.aggregates.existingEventIds(keys);
  }

  storedAmong(events: readonly Event[]): Promise<Set<string>> {
    return this.events.storedAmong(events);
  }

  recentlyStored(since: Date, limit: number): Promise<{ key: string; at: number }[]> {
    return this.aggregates.recentlyStoredIds(since, limit);
  }

  async reachable(): Promise<boolean> {
    return (await this.client.ping()).success;
  }
}
