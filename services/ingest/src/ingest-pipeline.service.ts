import {
  DeadLetter,
  Event,
  IngestSource,
  IngestStatus,
  RejectReason,
  type EventResult,
} from '@offerstream/contracts';
import { CommonErrorCode, CommonException } from '@offerstream/grpc';
import type { Logger } from '@offerstream/logging';
import { validateEvent, type ValidationPolicy } from './event-validator.service';
import { decodeIncoming, isJsonContentType } from './incoming-event.decoder';
import { RecentIds } from '@offerstream/events';

/** One record from `offerstream.events.v1`. */
export interface IncomingRecord {
  readonly payload: Buffer | null;
  readonly contentType: string | undefined;
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

/** Kafka side of ingest (implemented by EventBusRepository). Resolves once acks=all. */
export interface EventBus {
  /**
   * Valid events to `events.valid.v1` (or, from gRPC/HTTP, raw events to `events.v1`) plus
   * dead letters, in one request. `encoded[i]`, when set, is events[i]'s protobuf encoding.
   */
  publish(
    target: 'valid' | 'raw',
    events: readonly Event[],
    deadLetters: readonly DeadLetter[],
    encoded?: readonly (Buffer | undefined)[],
  ): Promise<void>;
}

/** The store refused the data itself (not an outage): isolate the records it refuses. */
export class StoreRejectedDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreRejectedDataError';
  }
}

/** ClickHouse side of ingest (implemented by EventStoreRepository). */
export interface EventStore {
  insert(events: readonly Event[], ingestedAt: Date): Promise<void>;
  /** Keys (RecentIds.key) of the given events already stored. */
  existing(keys: readonly { shopId: string; eventId: string }[]): Promise<Set<string>>;
  /** Keys (RecentIds.key) of these events found in the raw table itself (after a failed insert). */
  storedAmong(events: readonly Event[]): Promise<Set<string>>;
  /** Keys (RecentIds.key) stored since `since`, newest first, at most `limit`, with when. */
  recentlyStored(since: Date, limit: number): Promise<{ key: string; at: number }[]>;
  /** True when the store answers at all (tells an outage from a poison record). */
  reachable(): Promise<boolean>;
}

export interface IngestMetrics {
  received(source: 'kafka' | 'grpc' | 'http', n: number): void;
  accepted(n: number): void;
  duplicates(n: number): void;
  rejected(reason: RejectReason, n: number): void;
  batchSize(n: number): void;
  insertSeconds(s: number): void;
}

export interface IngestPipelineDeps {
  readonly bus: EventBus;
  readonly store: EventStore;
  readonly recent: RecentIds;
  readonly metrics: IngestMetrics;
  readonly logger: Logger;
  readonly policy: ValidationPolicy;
  readonly now: () => number;
  readonly serviceVersion: string;
  /** How far back the de-duplication memory is rebuilt from the store on a (re)assignment. */
  readonly dedupWindowMs: number;
  readonly dedupMaxKeys: number;
}

interface Rejected {
  readonly reason: RejectReason;
  readonly detail: string;
  readonly event?: Event;
}

/** True when validation normalised nothing (the only rewrites: currency case, quantity 0 → 1). */
function unchanged(before: Event, after: Event): boolean {
  return before.currency === after.currency && before.quantity === after.quantity;
}

/** An item of an HTTP/gRPC request that could not even be read as an Event (e.g. a bad NDJSON line). */
export interface UnreadableItem {
  readonly unreadable: true;
  readonly reason: RejectReason;
  readonly detail: string;
  readonly payload: Buffer;
  readonly contentType: string;
  /** The event id, when it could be read. */
  readonly eventId: string;
}

export type SubmitItem = Event | UnreadableItem;

/** A valid event of a Kafka batch, once per (shop, event id) in it. */
interface Unique {
  readonly event: Event;
  /** RecentIds.key of the event. */
  readonly key: string;
  /** The partition it came from (topic/partition). */
  readonly part: string;
  /** Its protobuf bytes when normalising left it as it arrived. */
  readonly bytes: Buffer | undefined;
  /** The de-duplication memory holds it. */
  readonly remembered: boolean;
}

function isUnreadable(x: unknown): x is UnreadableItem {
  return typeof x === 'object' && x !== null && (x as { unreadable?: unknown }).unreadable === true;
}

/**
 * The one pipeline every event goes through, whichever way it came in:
 * decode → validate/normalise → drop duplicates (in the batch, and every event stored within
 * the de-duplication window, held in memory and rebuilt from ClickHouse whenever partitions
 * are assigned) → publish valid events and dead letters (acks=all) and, at the same time,
 * insert into ClickHouse. The caller commits its Kafka offsets only after `processRecords`
 * resolved, i.e. after both are durable.
 *
 * The publish and the insert run together (the broker and ClickHouse work at once), so a
 * crash can leave an event stored but not published. Re-delivery then publishes it again:
 * on a partition this instance cannot vouch for (after an assignment or a failed batch)
 * store knowledge filters only the insert, never the publish. events.valid.v1 is
 * at-least-once (consumers de-duplicate by event_id); inserting only events the store does
 * not have keeps ClickHouse and its materialized aggregates exactly-once.
 */
export class IngestPipeline {
  private warm = false;
  /**
   * Partitions whose duplicates memory alone can tell: not after an assignment and not after
   * a failed insert (whose rows may have landed although the answer was lost). Until a chunk
   * of such a partition succeeds, its events are also looked up in the raw table.
   */
  private readonly trusted = new Set<string>();

  constructor(private readonly d: IngestPipelineDeps) {}

  /**
   * Partitions were (re)assigned: before the next chunk, rebuild the de-duplication memory
   * from what the store holds for the window. Records re-delivered after a crash or a
   * rebalance were inserted (if at all) before this point, so memory alone then tells
   * stored events apart, and no per-chunk store lookup is needed on the hot path.
   */
  partitionsAssigned(): void {
    this.warm = false;
    this.trusted.clear();
  }

  private async ensureWarm(now: number): Promise<void> {
    if (this.warm) return;
    const since = new Date(now - this.d.dedupWindowMs);
    const stored = await this.d.store.recentlyStored(since, this.d.dedupMaxKeys);
    // Oldest first, so the newest keys survive the memory cap.
    for (let i = stored.length - 1; i >= 0; i--) this.d.recent.add(stored[i]!.key, stored[i]!.at);
    this.warm = true;
    this.d.logger.info(
      { keys: stored.length, since },
      'de-duplication memory rebuilt from the store',
    );
  }

  /**
   * Handles Kafka records — one partition's chunk, or the chunks of several partitions
   * coalesced into one unit of work — and resolves when their effects are durable.
   */
  async processRecords(records: readonly IncomingRecord[]): Promise<void> {
    const now = this.d.now();
    this.d.metrics.received('kafka', records.length);
    this.d.metrics.batchSize(records.length);
    const valid: Event[] = [];
    /** The partition each valid event came from (same index as `valid`). */
    const validPart: string[] = [];
    /** Its protobuf bytes when normalising left it as it arrived (same index). */
    const validBytes: (Buffer | undefined)[] = [];
    const dead: DeadLetter[] = [];
    const parts = new Set<string>();
    for (const r of records) {
      const part = `${r.topic}/${r.partition}`;
      parts.add(part);
      const decoded = decodeIncoming(r.payload, r.contentType, this.d.policy.maxEventBytes);
      const verdict = decoded.ok
        ? validateEvent(decoded.event, now, this.d.policy, decoded.bytes)
        : decoded;
      if (verdict.ok) {
        valid.push(verdict.event);
        validPart.push(part);
        validBytes.push(
          decoded.ok && !isJsonContentType(r.contentType) && unchanged(decoded.event, verdict.event)
            ? (r.payload ?? undefined)
            : undefined,
        );
      } else dead.push(this.deadLetter(r, verdict, decoded.ok ? decoded.event : undefined, now));
    }
    await this.ensureWarm(now);
    // What the store already has: on a vouched-for partition the memory tells, and those
    // events were published too, so they are left out of both. On any other partition a
    // re-delivered event may have been stored while its publish was lost (the two run
    // together), so it is published again and only the insert leaves out what the memory or
    // the raw table say is stored.
    const toPublish = this.withoutDuplicates(valid, validPart, validBytes, now).filter(
      (f) => !(f.remembered && this.trusted.has(f.part)),
    );
    const [pub, ins] = await Promise.allSettled([
      this.d.bus.publish(
        'valid',
        toPublish.map((f) => f.event),
        dead,
        toPublish.map((f) => f.bytes),
      ),
      this.insertUnstored(
        toPublish.filter((f) => !f.remembered),
        now,
      ),
    ]);
    if (pub.status === 'rejected' || ins.status === 'rejected') {
      for (const part of parts) this.trusted.delete(part);
      throw pub.status === 'rejected' ? pub.reason : (ins as PromiseRejectedResult).reason;
    }
    for (const part of parts) this.trusted.add(part);
    // Every event published is now stored, whether inserted here or found stored, and all of
    // them must keep later repeats out.
    for (const f of toPublish) this.d.recent.add(f.key, now);
    this.count(ins.value, valid.length - ins.value, dead);
  }

  /**
   * Inserts the events the store does not have yet (those of partitions this instance cannot
   * vouch for are looked up in the raw table first) and resolves with how many it inserted.
   */
  private async insertUnstored(candidates: readonly Unique[], now: number): Promise<number> {
    let fresh = candidates;
    const unsure = candidates.filter((f) => !this.trusted.has(f.part)).map((f) => f.event);
    if (unsure.length > 0) {
      const stored = await this.d.store.storedAmong(unsure);
      if (stored.size > 0) fresh = candidates.filter((f) => !stored.has(f.key));
    }
    await this.insertIsolatingPoison(
      fresh.map((f) => f.event),
      now,
    );
    return fresh.length;
  }

  /**
   * The gRPC/HTTP entry: validates each event, answers per event, and publishes accepted
   * ones to `events.v1` (the pipeline then stores them) and rejected ones to the DLQ.
   * Resolves after Kafka acknowledged both.
   */
  async submit(
    items: readonly SubmitItem[],
    source: IngestSource.INGEST_SOURCE_GRPC | IngestSource.INGEST_SOURCE_HTTP,
  ): Promise<EventResult[]> {
    const now = this.d.now();
    this.d.metrics.received(
      source === IngestSource.INGEST_SOURCE_GRPC ? 'grpc' : 'http',
      items.length,
    );
    const results: EventResult[] = [];
    const accepted: Event[] = [];
    const dead: DeadLetter[] = [];
    const inRequest = new Set<string>();
    const verdicts = items.map((item) =>
      isUnreadable(item) ? item : validateEvent(item, now, this.d.policy),
    );
    const candidates = verdicts.flatMap((v) => (!isUnreadable(v) && v.ok ? [v.event] : []));
    // The edge keeps accepting while ClickHouse is away: the pipeline de-duplicates again later.
    const stored = await this.knownKeys(candidates, now).catch((err: unknown) => {
      this.d.logger.warn(
        { err },
        'stored-duplicate lookup failed; answering from recent memory only',
      );
      return this.recentKeys(candidates, now);
    });
    const ok = (eventId: string, index: number, status: IngestStatus): EventResult => ({
      eventId,
      index,
      status,
      reason: RejectReason.REJECT_REASON_UNSPECIFIED,
      detail: '',
    });
    verdicts.forEach((v, index) => {
      if (isUnreadable(v)) {
        results.push({
          eventId: v.eventId,
          index,
          status: IngestStatus.INGEST_STATUS_REJECTED,
          reason: v.reason,
          detail: v.detail,
        });
        dead.push(this.edgeDeadLetter(v.payload, v.contentType, v, source, now));
        return;
      }
      const original = items[index] as Event;
      if (!v.ok) {
        results.push({
          eventId: original.eventId,
          index,
          status: IngestStatus.INGEST_STATUS_REJECTED,
          reason: v.reason,
          detail: v.detail,
        });
        const payload = Buffer.from(Event.encode(original).finish());
        dead.push(
          this.edgeDeadLetter(
            payload,
            'application/x-protobuf',
            { ...v, event: original },
            source,
            now,
          ),
        );
        return;
      }
      const key = RecentIds.key(v.event.shopId, v.event.eventId);
      if (inRequest.has(key) || stored.has(key)) {
        results.push(ok(original.eventId, index, IngestStatus.INGEST_STATUS_DUPLICATE));
        return;
      }
      inRequest.add(key);
      accepted.push(v.event);
      results.push(ok(original.eventId, index, IngestStatus.INGEST_STATUS_ACCEPTED));
    });
    try {
      await this.d.bus.publish('raw', accepted, dead);
    } catch (err) {
      this.d.logger.error({ err }, 'could not publish ingested events');
      throw new CommonException(
        CommonErrorCode.UNAVAILABLE,
        'events could not be written to Kafka; retry with backoff',
      );
    }
    this.count(
      0,
      results.filter((r) => r.status === IngestStatus.INGEST_STATUS_DUPLICATE).length,
      dead,
    );
    return results;
  }

  /** Drops repeats within the records; marks the events the de-duplication memory holds. */
  private withoutDuplicates(
    events: readonly Event[],
    parts: readonly string[],
    bytes: readonly (Buffer | undefined)[],
    now: number,
  ): Unique[] {
    const inBatch = new Set<string>();
    const unique: Unique[] = [];
    events.forEach((event, i) => {
      const key = RecentIds.key(event.shopId, event.eventId);
      if (inBatch.has(key)) return;
      inBatch.add(key);
      unique.push({
        event,
        key,
        part: parts[i]!,
        bytes: bytes[i],
        remembered: this.d.recent.has(key, now),
      });
    });
    return unique;
  }

  private recentKeys(events: readonly Event[], now: number): Set<string> {
    return new Set(
      events
        .map((e) => RecentIds.key(e.shopId, e.eventId))
        .filter((key) => this.d.recent.has(key, now)),
    );
  }

  /** Keys already seen: recent memory first, then the store for the rest. */
  private async knownKeys(events: readonly Event[], now: number): Promise<Set<string>> {
    const known = new Set<string>();
    const ask: { shopId: string; eventId: string }[] = [];
    for (const e of events) {
      const k = RecentIds.key(e.shopId, e.eventId);
      if (this.d.recent.has(k, now)) known.add(k);
      else ask.push({ shopId: e.shopId, eventId: e.eventId });
    }
    if (ask.length > 0) for (const k of await this.d.store.existing(ask)) known.add(k);
    return known;
  }

  /**
   * Inserts; when an insert fails while the store is reachable, bisects the batch to find
   * the records it refuses and dead-letters those (PROCESSING_FAILED) so one poison record
   * cannot stall the partition. When the store is unreachable, throws: the consumer backs
   * off and retries, nothing is committed.
   */
  private async insertIsolatingPoison(events: readonly Event[], now: number): Promise<void> {
    if (events.length === 0) return;
    const started = process.hrtime.bigint();
    try {
      await this.d.store.insert(events, new Date(now));
      this.d.metrics.insertSeconds(Number(process.hrtime.bigint() - started) / 1e9);
      return;
    } catch (err) {
      // Outages and overload are retried whole (with backoff); only refused data is bisected.
      if (!(err instanceof StoreRejectedDataError)) throw err;
      if (!(await this.d.store.reachable().catch(() => false))) throw err;
      if (events.length === 1) {
        const e = events[0]!;
        this.d.logger.error(
          { err, eventId: e.eventId, shopId: e.shopId },
          'the store refuses this event; dead-lettering it',
        );
        const detail = `ClickHouse refused the event: ${err instanceof Error ? err.message.slice(0, 300) : 'unknown error'}`;
        const payload = Buffer.from(Event.encode(e).finish());
        await this.d.bus.publish(
          'valid',
          [],
          [
            this.deadLetter(
              {
                payload,
                contentType: 'application/x-protobuf',
                topic: '',
                partition: 0,
                offset: '0',
              },
              { reason: RejectReason.REJECT_REASON_PROCESSING_FAILED, detail },
              e,
              now,
            ),
          ],
        );
        this.d.metrics.rejected(RejectReason.REJECT_REASON_PROCESSING_FAILED, 1);
        return;
      }
      const mid = Math.ceil(events.length / 2);
      await this.insertIsolatingPoison(events.slice(0, mid), now);
      await this.insertIsolatingPoison(events.slice(mid), now);
    }
  }

  private count(accepted: number, duplicates: number, dead: readonly DeadLetter[]): void {
    if (accepted) this.d.metrics.accepted(accepted);
    if (duplicates) this.d.metrics.duplicates(duplicates);
    const byReason = new Map<RejectReason, number>();
    for (const d of dead) byReason.set(d.reason, (byReason.get(d.reason) ?? 0) + 1);
    for (const [reason, n] of byReason) this.d.metrics.rejected(reason, n);
  }

  private deadLetter(
    r: IncomingRecord,
    v: Rejected,
    event: Event | undefined,
    now: number,
  ): DeadLetter {
    this.d.logger.warn(
      {
        reason: RejectReason[v.reason],
        detail: v.detail,
        eventId: event?.eventId,
        topic: r.topic,
        partition: r.partition,
        offset: r.offset,
      },
      'event rejected',
    );
    return DeadLetter.fromPartial({
      payload: r.payload ?? Buffer.alloc(0),
      contentType: r.contentType ?? '',
      source: IngestSource.INGEST_SOURCE_KAFKA,
      sourceTopic: r.topic,
      sourcePartition: r.partition,
      sourceOffset: Number(r.offset),
      reason: v.reason,
      detail: v.detail,
      eventId: event?.eventId ?? '',
      shopId: event?.shopId ?? '',
      attempts: 1,
      firstSeen: new Date(now),
      deadLetteredAt: new Date(now),
      serviceName: 'ingest',
      serviceVersion: this.d.serviceVersion,
    });
  }

  private edgeDeadLetter(
    payload: Buffer,
    contentType: string,
    v: Rejected & { eventId?: string },
    source: IngestSource,
    now: number,
  ): DeadLetter {
    const eventId = v.event?.eventId ?? v.eventId ?? '';
    this.d.logger.warn(
      { reason: RejectReason[v.reason], detail: v.detail, eventId, source: IngestSource[source] },
      'event rejected',
    );
    return DeadLetter.fromPartial({
      payload,
      contentType,
      source,
      reason: v.reason,
      detail: v.detail,
      eventId,
      shopId: v.event?.shopId ?? '',
      attempts: 1,
      firstSeen: new Date(now),
      deadLetteredAt: new Date(now),
      serviceName: 'ingest',
      serviceVersion: this.d.serviceVersion,
    });
  }
}
