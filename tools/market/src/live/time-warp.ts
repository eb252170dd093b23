/**
 * Compressed time: the market's simulated clock runs `speedup` times faster than the real
 * one. The system under test lives in real time (ingest refuses events far from its clock,
 * bandit-policy reserves budget and closes attribution windows on the server clock), so a
 * live run maps every simulated instant onto the real instant it happens at.
 *
 * An optional fast-forward runs the simulated time before `fastForward.untilSimMs` (the
 * shop's history before its campaigns, when nothing is decided) `fastForward.speedup` times
 * faster still; from there on the clock runs at `speedup`. Durations (`realDuration`:
 * attribution windows, frequency-cap intervals) are those of the campaign part.
 */
export class TimeWarp {
  /** Real epoch ms at which the fast-forward ends (= realStartMs without one). */
  private readonly realSwitchMs: number;
  /** Simulated epoch ms at which the fast-forward ends (= simStartMs without one). */
  private readonly simSwitchMs: number;
  private readonly fastSpeedup: number;

  constructor(
    /** Simulated epoch ms of the run's start. */
    readonly simStartMs: number,
    /** Real epoch ms the simulated start maps to. */
    readonly realStartMs: number,
    /** Simulated milliseconds per real millisecond (S). */
    readonly speedup: number,
    fastForward?: { readonly untilSimMs: number; readonly speedup: number },
  ) {
    if (!(speedup > 0)) throw new Error(`speed-up must be > 0, got ${speedup}`);
    const fast = fastForward?.speedup ?? speedup;
    if (!(fast > 0)) throw new Error(`fast-forward speed-up must be > 0, got ${fast}`);
    this.fastSpeedup = fast;
    this.simSwitchMs = Math.max(simStartMs, fastForward?.untilSimMs ?? simStartMs);
    this.realSwitchMs = realStartMs + (this.simSwitchMs - simStartMs) / fast;
  }

  /** The real instant of a simulated one (fractional ms kept: callers round where they need). */
  toReal(simMs: number): number {
    if (simMs < this.simSwitchMs)
      return this.realStartMs + (simMs - this.simStartMs) / this.fastSpeedup;
    return this.realSwitchMs + (simMs - this.simSwitchMs) / this.speedup;
  }

  /** The simulated instant of a real one. */
  toSim(realMs: number): number {
    if (realMs < this.realSwitchMs)
      return this.simStartMs + (realMs - this.realStartMs) * this.fastSpeedup;
    return this.simSwitchMs + (realMs - this.realSwitchMs) * this.speedup;
  }

  /** A simulated duration (of the campaign part) in real milliseconds. */
  realDuration(simMs: number): number {
    return simMs / this.speedup;
  }

  /** Real milliseconds from the simulated start to `simEndMs`. */
  realSpan(simEndMs: number): number {
    return this.toReal(simEndMs) - this.realStartMs;
  }
}
