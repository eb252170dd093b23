/** Longest id (event, shop, user, item, offer, ...) in UTF-8 bytes. */
export const MAX_ID_BYTES = 128;
/** C0/C1 controls and the Unicode line/paragraph separators. */
export const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
/** A UTF-16 surrogate without its pair: not valid UTF-8 once encoded. */
export const LONE_SURROGATE =
  /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Printable ASCII without a leading or trailing space: what almost every id is, and fine
 * by every rule below (one byte per character, no controls, no surrogates) — the fast path.
 */
const PLAIN_ASCII_ID = /^[!-~](?:[ -~]*[!-~])?$/;

/**
 * What is wrong with a non-empty id, or undefined when it is fine: 1..128 bytes of
 * printable UTF-8, no control characters, no leading or trailing spaces. The one id rule
 * of every edge (events, feature and offer requests).
 */
export function idProblem(value: string): string | undefined {
  if (value.length <= MAX_ID_BYTES && PLAIN_ASCII_ID.test(value)) return undefined;
  return idProblemByRule(value);
}

/** {@link idProblem} checked rule by rule, without the ASCII fast path. */
export function idProblemByRule(value: string): string | undefined {
  if (Buffer.byteLength(value, 'utf8') > MAX_ID_BYTES)
    return `is longer than ${MAX_ID_BYTES} bytes`;
  if (CONTROL_CHARS.test(value) || LONE_SURROGATE.test(value))
    return 'contains control or invalid characters';
  if (value.trim() !== value) return 'has leading or trailing spaces';
  return undefined;
}
