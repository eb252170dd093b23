import { EventBatch, RejectReason } from '@offerstream/contracts';
import { eventFromJson, JsonEventError } from './event-json.decoder';
import type { SubmitItem } from './ingest-pipeline.service';

/** Why an HTTP body as a whole cannot be used (per-event problems are results, not this). */
export class HttpBodyError extends Error {
  constructor(
    readonly status: 400 | 413 | 415,
    message: string,
  ) {
    super(message);
  }
}

const unreadable = (
  payload: Buffer,
  contentType: string,
  detail: string,
  eventId = '',
): SubmitItem => ({
  unreadable: true,
  reason: RejectReason.REJECT_REASON_MALFORMED,
  detail,
  payload,
  contentType,
  eventId,
});

/** The element's JSON for the dead letter; pathological values (deep nesting) get a stand-in. */
function jsonBytes(v: unknown): Buffer {
  try {
    return Buffer.from(JSON.stringify(v) ?? 'null');
  } catch {
    return Buffer.from('"<unserialisable element>"');
  }
}

function fromJsonValue(v: unknown, raw: Buffer): SubmitItem {
  try {
    return eventFromJson(v);
  } catch (e) {
    const id =
      typeof v === 'object' && v !== null
        ? ((v as { eventId?: unknown; event_id?: unknown }).eventId ??
          (v as { event_id?: unknown }).event_id)
        : undefined;
    return unreadable(
      raw,
      'application/json',
      e instanceof JsonEventError ? e.message : 'unreadable event',
      typeof id === 'string' ? id.slice(0, 128) : '',
    );
  }
}

/**
 * Splits a POST /v1/events body into events: a JSON array (or {"events": [...]}),
 * NDJSON (one event per line), or a binary protobuf EventBatch. A line or element that
 * is not a valid event becomes an unreadable item (rejected per event); only a body that
 * cannot be split at all is an HttpBodyError.
 */
export function eventsFromHttpBody(body: Buffer, contentType: string | undefined): SubmitItem[] {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/x-protobuf' || type === 'application/protobuf') {
    try {
      return EventBatch.decode(body).events;
    } catch (e) {
      throw new HttpBodyError(
        400,
        `body is not a protobuf EventBatch: ${e instanceof Error ? e.message : 'unreadable'}`,
      );
    }
  }
  if (
    type === 'application/x-ndjson' ||
    type === 'application/jsonl' ||
    type === 'application/jsonlines'
  ) {
    return body
      .toString('utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => {
        const raw = Buffer.from(line, 'utf8');
        try {
          return fromJsonValue(JSON.parse(line) as unknown, raw);
        } catch (e) {
          return unreadable(
            raw,
            'application/json',
            `invalid JSON: ${e instanceof Error ? e.message.slice(0, 200) : ''}`,
          );
        }
      });
  }
  if (type === 'application/json' || type === '') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch (e) {
      throw new HttpBodyError(
        400,
        `body is not JSON: ${e instanceof Error ? e.message.slice(0, 200) : ''}`,
      );
    }
    const list = Array.isArray(parsed) ? parsed : (parsed as { events?: unknown } | null)?.events;
    if (!Array.isArray(list))
      throw new HttpBodyError(400, 'a JSON body is an array of events or {"events": [...]}');
    return list.map((v) => fromJsonValue(v, jsonBytes(v)));
  }
  throw new HttpBodyError(
    415,
    `unsupported content type ${JSON.stringify(type)}: use application/json, application/x-ndjson or application/x-protobuf`,
  );
}
