import { randomBytes } from 'node:crypto';

/** A name no other test run uses: topics, consumer groups, databases. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

/**
 * Retries `fn` until it stops throwing (an assertion that eventually holds), or fails with
 * its last error after `timeoutMs`. Waits on state instead of sleeping a guessed time.
 */
export async function expectEventually<T>(
  fn: () => T | Promise<T>,
  opts: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 15000);
  let lastError: unknown;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      lastError = e;
    }
    if (Date.now() >= deadline) throw lastError;
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 100));
  }
}
