interface CallWithDeadline {
  getDeadline?: () => Date | number;
}

/** Milliseconds left before a call's deadline; Infinity when the caller set none. */
export function remainingMs(call: unknown, now: number = Date.now()): number {
  const d = (call as CallWithDeadline | undefined)?.getDeadline?.();
  if (d === undefined) return Infinity;
  const at = d instanceof Date ? d.getTime() : d;
  return Number.isFinite(at) ? at - now : Infinity;
}
