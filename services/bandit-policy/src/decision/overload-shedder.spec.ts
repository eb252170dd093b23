import {
  eventLoopLag,
  OverloadShedder,
  SHEDDER_DEFAULTS,
  type LagSource,
} from './overload-shedder';

/** A lag source that reads the next scripted window each step. */
function scripted(windows: number[]): LagSource & { resets: number } {
  let i = 0;
  const src = {
    resets: 0,
    delayMs: () => windows[Math.min(i, windows.length - 1)] ?? 0,
    reset: () => {
      i++;
      src.resets++;
    },
  };
  return src;
}

const shedder = (lag: LagSource, targetLagMs = 20, random = () => 0.5) =>
  new OverloadShedder({ ...SHEDDER_DEFAULTS, targetLagMs }, lag, random);

describe('OverloadShedder', () => {
  it('sheds nothing while the delay stays under the target', () => {
    const s = shedder(scripted([1, 5, 19, 20, 0]));
    for (let k = 0; k < 5; k++) s.update();
    expect(s.share).toBe(0);
    expect(s.shed()).toBe(false);
  });

  it('rises by a step per window over the target, up to the cap, and falls slower after', () => {
    const lag = scripted([...Array<number>(15).fill(80), ...Array<number>(40).fill(2)]);
    const s = shedder(lag);
    const shares: number[] = [];
    for (let k = 0; k < 55; k++) {
      s.update();
      shares.push(s.share);
    }
    expect(shares[0]).toBeCloseTo(0.1);
    expect(shares[4]).toBeCloseTo(0.5);
    expect(Math.max(...shares)).toBeCloseTo(SHEDDER_DEFAULTS.maxShare); // capped, never all
    expect(shares[14]).toBeCloseTo(0.95);
    expect(shares[15]).toBeCloseTo(0.9); // first calm window: −0.05
    expect(shares[24]).toBeCloseTo(0.45);
    expect(shares[54]).toBe(0); // back to the full path, not below 0
    expect(lag.resets).toBe(55); // every window is read once, then started anew
  });

  it('sheds the share of calls it names (fixed random stream)', () => {
    let x = 0;
    const random = () => (x = (x * 16807 + 11) % 2147483647) / 2147483647; // Lehmer-like
    const s = shedder(scripted([50, 50, 50, 50]), 20, random);
    for (let k = 0; k < 4; k++) s.update(); // 0.4
    let shed = 0;
    for (let k = 0; k < 20_000; k++) if (s.shed()) shed++;
    expect(shed / 20_000).toBeGreaterThan(0.38);
    expect(shed / 20_000).toBeLessThan(0.42);
  });

  it('never sheds when off (target 0), whatever the delay', () => {
    const s = shedder(scripted([500, 500, 500]), 0, () => 0);
    for (let k = 0; k < 3; k++) s.update();
    expect(s.share).toBe(0);
    expect(s.shed()).toBe(false);
    s.start(); // no timer when off
    s.stop();
  });

  it('reads the real event loop: a blocked loop shows as delay', async () => {
    const lag = eventLoopLag(5);
    try {
      await new Promise((r) => setTimeout(r, 30));
      lag.reset();
      const until = Date.now() + 120;
      while (Date.now() < until); // block the loop
      await new Promise((r) => setTimeout(r, 20));
      expect(lag.delayMs()).toBeGreaterThan(60);
    } finally {
      lag.disable();
    }
  });
});
