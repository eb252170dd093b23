/** A dependency the service needs before it can take traffic (Kafka, ClickHouse, a model). */
export interface ReadinessCheck {
  readonly name: string;
  /** Resolves when the dependency is usable; rejects (or resolves false) when not. */
  check(): Promise<boolean | void>;
}

export interface ReadinessReport {
  readonly ready: boolean;
  readonly draining: boolean;
  /** 'ok', or why the check failed. */
  readonly checks: Readonly<Record<string, string>>;
}

/**
 * Tracks whether this process should get traffic: every check passes and it is not
 * draining for shutdown. Results are cached briefly so probes don't hammer dependencies.
 */
export class Readiness {
  private readonly checks: ReadinessCheck[] = [];
  private draining = false;
  private cached: { at: number; report: ReadinessReport } | undefined;

  constructor(
    private readonly opts: { cacheMs?: number; timeoutMs?: number; now?: () => number } = {},
  ) {}

  add(check: ReadinessCheck): void {
    this.checks.push(check);
    this.cached = undefined;
  }

  /** From now on report not-ready, so load balancers stop sending new work. */
  startDraining(): void {
    this.draining = true;
    this.cached = undefined;
  }

  get isDraining(): boolean {
    return this.draining;
  }

  async report(): Promise<ReadinessReport> {
    const now = (this.opts.now ?? Date.now)();
    if (this.cached && now - this.cached.at < (this.opts.cacheMs ?? 1000))
      return this.cached.report;
    const timeoutMs = this.opts.timeoutMs ?? 2000;
    const results = await Promise.all(
      this.checks.map(async (c): Promise<[string, string]> => {
        let timer: NodeJS.Timeout | undefined;
        try {
          const ok = await Promise.race([
            c.check(),
            new Promise<never>((_, reject) => {
              timer = setTimeout(
                () => reject(new Error(`timed out after ${timeoutMs} ms`)),
                timeoutMs,
              );
            }),
          ]);
          return [c.name, ok === false ? 'not ready' : 'ok'];
        } catch (e) {
          return [c.name, e instanceof Error ? e.message : String(e)];
        } finally {
          clearTimeout(timer);
        }
      }),
    );
    const checks = Object.fromEntries(results);
    const report: ReadinessReport = {
      ready: !this.draining && results.every(([, r]) => r === 'ok'),
      draining: this.draining,
      checks,
    };
    this.cached = { at: now, report };
    return report;
  }
}
