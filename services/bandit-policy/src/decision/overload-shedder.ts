import { performance } from 'node:perf_hooks';

/** The event loop's delay over the last window (ms), and a new window. */
export interface LagSource {
  /** The largest delay seen since the last `reset`, ms (0 when none). */
  delayMs(): number;
  reset(): void;
}

/** How the shedder steers. */
export interface ShedderOptions {
  /** Delay (the largest of a window) above which the replica sheds more; 0 = never shed. */
  readonly targetLagMs: number;
  /** Share added per window over the target, and taken off per window under it. */
  readonly stepUp: number;
  readonly stepDown: number;
  /** The most that is ever shed (some calls keep the full path, so recovery shows). */
  readonly maxShare: number;
}

export const SHEDDER_DEFAULTS: Omit<ShedderOptions, 'targetLagMs'> = {
  stepUp: 0.1,
  stepDown: 0.05,
  maxShare: 0.95,
};

/**
 * Load shedding on the decision path. A call that waits in a busy replica's queue is answered
 * after its deadline however good its answer: the caller sees DEADLINE_EXCEEDED and no offer.
 * The shedder watches the event loop's delay (what queued calls wait) and, while it is over
 * the target, lets a growing share of calls skip the feature and scoring calls — the
 * expensive part of a decision, also for the feature and scoring services — so the replica
 * catches up and calls keep their deadlines, answered from the posteriors (flagged overload).
 * The share moves up fast and down slowly (additive steps per window), as a brownout does.
 */
export class OverloadShedder {
  private shareNow = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly opts: ShedderOptions,
    private readonly lag: LagSource,
    private readonly random: () => number = Math.random,
  ) {}

  /** The share of calls shed now, in [0, maxShare]. */
  get share(): number {
    return this.shareNow;
  }

  /** One control step: reads the window's delay and moves the share. */
  update(): void {
    const delay = this.lag.delayMs();
    this.lag.reset();
    if (this.opts.targetLagMs <= 0) return;
    this.shareNow =
      delay > this.opts.targetLagMs
        ? Math.min(this.opts.maxShare, this.shareNow + this.opts.stepUp)
        : Math.max(0, this.shareNow - this.opts.stepDown);
  }

  /** Whether this call skips features and scoring. */
  shed(): boolean {
    return this.shareNow > 0 && this.random() < this.shareNow;
  }

  /** Steps every `windowMs` until `stop` (the timer does not keep the process alive). */
  start(windowMs = 100): void {
    if (this.timer || this.opts.targetLagMs <= 0) return;
    this.timer = setInterval(() => this.update(), windowMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

/**
 * The process's event-loop delay: a timer every `resolutionMs` notes how late it fires (what
 * a call arriving then waits before its handler runs). perf_hooks' monitorEventLoopDelay is
 * not used: it did not record a 120 ms block of the loop in a test here.
 */
export function eventLoopLag(resolutionMs = 10): LagSource & { disable(): void } {
  let last = performance.now();
  let worst = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last - resolutionMs);
    last = now;
  }, resolutionMs);
  timer.unref();
  return {
    delayMs: () => worst,
    reset: () => {
      worst = 0;
    },
    disable: () => clearInterval(timer),
  };
}
