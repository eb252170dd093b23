/** Open-loop load and CPU/memory readings shared by the benchmarks. */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** CPU seconds (user + system) a process has used so far. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return NaN;
  }
}

/** Busy and total CPU ticks of the machine (all cores), from /proc/stat. */
export function machineTicks(): { busy: number; total: number } {
  try {
    const f = readFileSync('/proc/stat', 'utf8')
      .split('\n')[0]!
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    const total = f.reduce((a, b) => a + b, 0);
    return { busy: total - (f[3] ?? 0) - (f[4] ?? 0), total };
  } catch {
    return { busy: NaN, total: NaN };
  }
}

/** Resident memory of a process in MB (VmRSS now, or VmHWM: the peak). */
export function rssMb(pid: number, field: 'VmRSS' | 'VmHWM' = 'VmRSS'): number {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(
      readFileSync(`/proc/${pid}/status`, 'utf8'),
    );
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

export interface RateResult {
  readonly rate: number;
  readonly seconds: number;
  readonly sent: number;
  readonly achievedRate: number;
  readonly errors: number;
  readonly errorKinds: Map<string, number>;
  /** Answers inspected (1 in 10) and how many of them `flag` marked (e.g. stale, degraded). */
  readonly sampled: number;
  readonly flagged: number;
  /** Latencies from send to answer, ms, sorted. */
  readonly latencies: number[];
  /** How late sends left against their schedule (bench-side lag), ms, sorted. */
  readonly sendLag: number[];
  /** CPU use over the step, % of one core: the measured server processes and this load generator. */
  readonly serverCpu: number;
  readonly benchCpu: number;
  /** Share of the whole machine (all cores) busy over the step, %. */
  readonly machineBusy: number;
  /** CPU of everything else on the machine (Kafka, ClickHouse, other work), % of one core. */
  readonly otherCpu: number;
}

/**
 * Sends `rate` calls/s on a fixed schedule (never waiting for answers) for `seconds`;
 * `call(k)` makes call k (pre-encode requests so the generator spends little of the shared
 * CPU); every 10th answer goes to `flag`.
 */
export async function openLoop(
  call: (k: number) => Promise<Buffer>,
  rate: number,
  seconds: number,
  serverPids: readonly number[],
  flag: (answer: Buffer) => boolean = () => false,
): Promise<RateResult> {
  const serverCpuNow = () => serverPids.reduce((s, p) => s + cpuSeconds(p), 0);
  const cpu0 = {
    server: serverCpuNow(),
    bench: process.cpuUsage(),
    machine: machineTicks(),
    at: Date.now(),
  };
  const total = Math.round(rate * seconds);
  const lat = new Float64Array(total);
  const lag = new Float64Array(total);
  const errorKinds = new Map<string, number>();
  let answered = 0;
  let errors = 0;
  let sampled = 0;
  let flagged = 0;
  let sent = 0;
  let allAnswered!: () => void;
  const finished = new Promise<void>((r) => (allAnswered = r));
  const t0 = performance.now();
  const send = (k: number) => {
    const start = performance.now();
    lag[k] = start - (t0 + (k * 1000) / rate);
    call(k).then(
      (res) => {
        lat[k] = performance.now() - start;
        if (k % 10 === 0) {
          sampled++;
          if (flag(res)) flagged++;
        }
        if (++answered === total) allAnswered();
      },
      (err: unknown) => {
        lat[k] = performance.now() - start;
        errors++;
        // gRPC errors by status (their messages carry timings that would split them).
        const code = (err as { code?: unknown }).code;
        const kind =
          typeof code === 'number'
            ? `gRPC status ${code}`
            : err instanceof Error
              ? err.message.slice(0, 60)
              : String(err);
        errorKinds.set(kind, (errorKinds.get(kind) ?? 0) + 1);
        if (++answered === total) allAnswered();
      },
    );
  };
  await new Promise<void>((resolveSent) => {
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - t0) * rate) / 1000) + 1);
      while (sent < due) send(sent++);
      if (sent >= total) resolveSent();
      else setTimeout(tick, 1);
    };
    tick();
  });
  const sendSeconds = (performance.now() - t0) / 1000;
  await Promise.race([finished, sleep(5000)]);
  const wall = (Date.now() - cpu0.at) / 1000;
  const bench = process.cpuUsage(cpu0.bench);
  const machine = machineTicks();
  const machineBusy =
    ((machine.busy - cpu0.machine.busy) / (machine.total - cpu0.machine.total)) * 100;
  const serverCpu = ((serverCpuNow() - cpu0.server) / wall) * 100;
  const benchCpu = ((bench.user + bench.system) / 1e6 / wall) * 100;
  return {
    machineBusy,
    otherCpu: Math.max(0, machineBusy * cpus().length - serverCpu - benchCpu),
    serverCpu,
    benchCpu,
    rate,
    seconds,
    sent,
    achievedRate: sent / Math.max(sendSeconds, seconds),
    errors,
    errorKinds,
    sampled,
    flagged,
    latencies: Array.from(lat.sort()),
    sendLag: Array.from(lag.sort()),
  };
}

/** How busy the machine (all cores) was over `ms`, % — other work skews every figure. */
export async function machineBusyNow(ms = 2000): Promise<{ busy: number; cores: number }> {
  const m0 = machineTicks();
  const own0 = process.cpuUsage();
  await sleep(ms);
  const m1 = machineTicks();
  const own = process.cpuUsage(own0);
  const cores = cpus().length;
  const busy =
    (100 * (m1.busy - m0.busy)) / (m1.total - m0.total) -
    ((own.user + own.system) / 1e6 / (ms / 1000) / cores) * 100;
  return { busy: Math.max(0, busy), cores };
}
