/**
 * Compressed time: the market's simulated clock runs `speedup` times faster than the real
 * one. The system under test lives in real time (ingest refuses events far from its clock,
 * bandit-policy reserves budget and closes attribution windows on the server clock), so a
 * live run maps every simulated instant onto the real instant it happens at.
 */
export class TimeWarp {
  constructor(
    /** Simulated epoch ms of the run's start. */
    readonly simStartMs: number,
    /** Real epoch ms the simulated start maps to. */
    readonly realStartMs: number,
    /** Simulated milliseconds per real millisecond (S). */
    readonly speedup: number,
  ) {
    if (!(speedup > 0)) throw new Error(`speed-up must be > 0, got ${speedup}`);
  }

  /** The real instant of a simulated one (fractional ms kept: callers round where they need). */
  toReal(simMs: number): number {
    return this.realStartMs + (simMs - this.simStartMs) / this.speedup;
  }

  /** The simulated instant of a real one. */
  toSim(realMs: number): number {
    return this.simStartMs + (realMs - this.realStartMs) * this.speedup;
  }

  /** A simulated duration in real milliseconds. */
  realDuration(simMs: number): number {
    return simMs / this.speedup;
  }
}
