import { Event, RejectReason } from '@offerstream/contracts';
import { eventFromJson, JsonEventError } from './event-json.decoder';

export type Decoded =
  | { readonly ok: true; readonly event: Event; readonly bytes: number }
  | { readonly ok: false; readonly reason: RejectReason; readonly detail: string };

/** True when a content-type header names JSON (anything else is read as protobuf). */
export function isJsonContentType(contentType: string | undefined): boolean {
  return contentType !== undefined && /\bjson\b/i.test(contentType);
}

/**
 * Decodes one event payload: protobuf by default, JSON when the content type says so.
 * Never throws: what cannot be read becomes a MALFORMED or TOO_LARGE verdict.
 */
export function decodeIncoming(
  payload: Buffer | null,
  contentType: string | undefined,
  maxBytes: number,
): Decoded {
  if (!payload || payload.length === 0)
    return { ok: false, reason: RejectReason.REJECT_REASON_MALFORMED, detail: 'empty payload' };
  if (payload.length > maxBytes) {
    return {
      ok: false,
      reason: RejectReason.REJECT_REASON_TOO_LARGE,
      detail: `payload is ${payload.length} bytes; the limit is ${maxBytes}`,
    };
  }
  try {
    if (isJsonContentType(contentType)) {
      const event = eventFromJson(JSON.parse(payload.toString('utf8')) as unknown);
      return { ok: true, event, bytes: payload.length };
    }
    return { ok: true, event: Event.decode(payload), bytes: payload.length };
  } catch (e) {
    const detail =
      e instanceof JsonEventError
        ? e.message
        : e instanceof SyntaxError
          ? `invalid JSON: ${e.message.slice(0, 200)}`
          : `not a protobuf Event: ${e instanceof Error ? e.message.slice(0, 200) : 'unreadable'}`;
    return { ok: false, reason: RejectReason.REJECT_REASON_MALFORMED, detail };
  }
}
