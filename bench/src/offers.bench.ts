/**
 * bench-offers: OfferService.GetOffers end to end — the bandit-policy service calling the
 * feature service (GetFeatures) and the scoring service (Score, a small MLP) for 20 candidate
 * offers, choosing with SquareCB under a budget, reserving, and logging every decision to
 * Kafka — at rising open-loop request rates. Side by side in the same run, the two calls it
 * makes, alone at 1,000 req/s (GetFeatures with 20 candidates, Score with K = 20): the floor
 * a decision cannot beat; and first, the same ladder through a chain of three no-op grpc-js
 * hops answering the services' own bytes (noop.ts): the transport ceiling on this machine.
 *
 * bandit-policy runs as production runs it: a replica that serves GetOffers without the decision
 * sink (BANDIT_DECISION_SINK=false) and a sink replica that stores the log and attributes.
 * Kafka, ClickHouse, the services and this load generator share the machine's cores.
 * BENCH_SECONDS (default 30) sizes the steps; the last line is key=value figures.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clickhouseVars } from '@offerstream/clickhouse';
import { env, loadConfig } from '@offerstream/config';
import {
  callUnary,
  Campaign,
  CampaignServiceService,
  CampaignStatus,
  FeatureServiceService,
  GetFeaturesRequest,
  GetFeaturesResponse,
  GetOffersRequest,
  GetOffersResponse,
  grpcClient,
  ModelAnnouncement,
  OfferServiceService,
  OfferType,
  PageType,
  PolicyType,
  ScoreRequest,
  ScoringServiceService,
  SERVICE_NAMES,
  type GrpcClientOf,
} from '@offerstream/contracts';
import { IdempotentProducer, kafkaVars, TOPICS } from '@offerstream/kafka';
import { createLogger } from '@offerstream/logging';
import { MODELS, writeStore } from './bench-models';
import { grpcFrame, h2Channels } from './h2-unary';
import { startNoopHop } from './noop';
import { isolatedRun } from './isolated-run';
import { cpuSeconds, machineBusyNow, openLoop, rssMb, type RateResult } from './load';
import { percentile, printReport } from './report';
import { startService } from './service-process';

const vars = {
  ...kafkaVars,
  ...clickhouseVars,
  BENCH_SECONDS: env.int({ doc: 'Sizes the rate steps', default: '30', min: 3, max: 3600 }),
  BENCH_DEADLINE_MS: env.int({
    doc: 'gRPC deadline of every call (GetOffers answers within it, degrading if it must)',
    default: '50',
    min: 5,
    max: 10_000,
  }),
  BENCH_RATES: env.string({
    doc: 'GetOffers request rates stepped through, comma-separated (1000 is always among them)',
    default: '250,500,1000,1500,2000,3000',
  }),
  BENCH_USERS: env.int({
    doc: 'Distinct users asked for',
    default: '2000',
    min: 10,
    max: 1_000_000,
  }),
  BENCH_CLIENT: env.oneOf(['h2', 'grpc-js'] as const, {
    doc: 'Load generator of the GetOffers steps: raw HTTP/2 (h2-unary.ts, the lighter one on the shared cores) or grpc-js clients',
    default: 'h2',
  }),
  BENCH_SINK_REPLICA: env.bool({
    doc: 'Run the decision sink as its own replica (as k8s does); false: the serving replica also sinks (the single-process default)',
    default: 'true',
  }),
};

const CANDIDATES = 20;
const SHOP = 'bench-shop';
const log = (line: string) => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Byte-in/byte-out twins of a unary method: the load generator encodes once, decodes 1 in 10. */
const bytes = {
  requestSerialize: (b: Buffer) => b,
  requestDeserialize: (b: Buffer) => b,
  responseSerialize: (b: Buffer) => b,
  responseDeserialize: (b: Buffer) => b,
};
const RawOffers = { getOffers: { ...OfferServiceService.getOffers, ...bytes } } as const;
const RawFeatures = { getFeatures: { ...FeatureServiceService.getFeatures, ...bytes } } as const;
const RawScoring = { score: { ...ScoringServiceService.score, ...bytes } } as const;

/** `n` channels (each its own HTTP/2 connection), used round-robin. */
function channels<S extends typeof RawOffers | typeof RawFeatures | typeof RawScoring>(
  def: S,
  name: string,
  port: number,
  n = 4,
): GrpcClientOf<S>[] {
  return Array.from({ length: n }, (_, i) =>
    grpcClient(def, name, `127.0.0.1:${port}`, { 'grpc.channel_id': i }),
  );
}

function campaign(): Campaign {
  const now = Date.now();
  return Campaign.fromPartial({
    campaignId: 'bench-cmp',
    shopId: SHOP,
    name: 'bench: 20 offers',
    status: CampaignStatus.CAMPAIGN_STATUS_ACTIVE,
    schedule: {
      startTime: new Date(now - 60_000),
      endTime: new Date(now + 86_400_000),
      timeZone: 'UTC',
    },
    budget: { currency: 'EUR', totalBudgetMinor: 1_000_000_000_000, dailyBudgetMinor: 0 },
    holdoutShare: 0.05,
    policy: { type: PolicyType.POLICY_TYPE_SQUARE_CB, params: { gamma: 50 } },
    offers: Array.from({ length: CANDIDATES }, (_, i) =>
      i % 2
        ? {
            offerId: `off-${i}`,
            type: OfferType.OFFER_TYPE_AMOUNT_OFF,
            amountOffMinor: 100 * (1 + i),
          }
        : {
            offerId: `off-${i}`,
            type: OfferType.OFFER_TYPE_PERCENT_OFF,
            percentOff: 5 + i,
            maxDiscountMinor: 2000,
          },
    ),
  });
}

const pct = (r: RateResult, p: number) => +percentile(r.latencies, p).toFixed(2);

/**
 * The bandit's stage histogram sums and counts, degraded counters and event-loop delay, from
 * /metrics (keys without the service label; the delay percentiles cover the last interval).
 */
async function banditCounters(httpPort: number): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m =
      /^(offerstream_bandit_(?:stage_seconds_sum|stage_seconds_count|degraded_total)|nodejs_eventloop_lag_(?:p99|max)_seconds)(?:\{([^}]*)\})? (\S+)$/.exec(
        line,
      );
    if (!m) continue;
    const label = /(?:stage|reason)="(\w+)"/.exec(m[2] ?? '')?.[1];
    out.set(label ? `${m[1]}:${label}` : m[1]!, Number(m[3]));
  }
  return out;
}

/** Mean time per stage, degraded reasons and event-loop delay between two scrapes, as one line. */
function stageLine(before: Map<string, number>, after: Map<string, number>): string {
  const d = (k: string) => (after.get(k) ?? 0) - (before.get(k) ?? 0);
  const stages = ['features', 'scoring', 'policy'].map((st) => {
    const n = d(`offerstream_bandit_stage_seconds_count:${st}`);
    const sum = d(`offerstream_bandit_stage_seconds_sum:${st}`);
    return `${st} ${n ? ((1000 * sum) / n).toFixed(2) : '-'} ms`;
  });
  const reasons = [...after.keys()]
    .filter((k) => k.startsWith('offerstream_bandit_degraded_total:') && d(k) > 0)
    .map((k) => `${d(k)}× ${k.split(':')[1]}`);
  const lag = (k: string) =>
    `${((after.get(`nodejs_eventloop_lag_${k}_seconds`) ?? NaN) * 1000).toFixed(1)}`;
  return `mean per stage: ${stages.join(', ')}; event-loop delay p99 ${lag('p99')} ms, max ${lag('max')} ms${reasons.length ? `; degraded: ${reasons.join(', ')}` : ''}`;
}

async function main(): Promise<void> {
  const cfg = loadConfig(vars, { KAFKA_LOG_LEVEL: 'nothing', ...process.env });
  const logger = createLogger({ service: 'bench-offers', level: 'warn' });
  const { busy: busyBefore, cores } = await machineBusyNow();
  log(`bench-offers: machine ${Math.round(busyBefore)} % busy before starting (${cores} cores)`);
  const run = await isolatedRun('benchoffers', cfg, logger);
  const store = mkdtempSync(join(tmpdir(), 'bench-offers-models-'));
  try {
    const mlp = MODELS.find((m) => m.name === 'bench-mlp')!;
    const announcement = writeStore(store, mlp);
    const producer = new IdempotentProducer(run.kafka);
    await producer.connect();
    await producer.send(run.prefix + TOPICS.models.name, [
      {
        key: `${mlp.name}@v1`,
        value: Buffer.from(ModelAnnouncement.encode(announcement).finish()),
      },
    ]);
    await producer.disconnect();

    const feature = startService('feature', 'feature', {
      ...run.env,
      FEATURE_CONSUMER_GROUP: `${run.database}.feature`,
    });
    const scoring = startService('scoring', 'scoring', {
      ...run.env,
      MODEL_STORE_URI: store,
      SCORING_MODEL_NAME: mlp.name,
      SCORING_EXECUTION_PROVIDER: 'cpu',
    });
    run.services.push(feature, scoring);
    const [f, s] = await Promise.all([feature.serving, scoring.serving]);
    // As production runs it (k8s/base/bandit-policy and k8s/base/bandit-sink): the replica that
    // answers GetOffers does not store the decision log; a sink replica does, and attributes.
    const banditEnv = {
      ...run.env,
      FEATURE_SERVICE_ADDR: `127.0.0.1:${f.grpcPort}`,
      SCORING_SERVICE_ADDR: `127.0.0.1:${s.grpcPort}`,
      BANDIT_MODEL_NAME: mlp.name,
      BANDIT_CONSUMER_GROUP: `${run.database}.bp`,
    };
    const bandit = startService('bandit-policy', 'bandit-policy', {
      ...banditEnv,
      BANDIT_INSTANCE_ID: 'bench-bp',
      BANDIT_DECISION_SINK: String(!cfg.BENCH_SINK_REPLICA),
    });
    const sink = cfg.BENCH_SINK_REPLICA
      ? startService('bandit-policy', 'bandit-sink', {
          ...banditEnv,
          BANDIT_INSTANCE_ID: 'bench-sink',
        })
      : undefined;
    run.services.push(bandit, ...(sink ? [sink] : []));
    await sink?.serving;
    const b = await bandit.serving;
    for (let t = Date.now(); ;) {
      const ok = (await fetch(`http://127.0.0.1:${b.httpPort}/readyz`).catch(() => undefined))?.ok;
      if (ok) break;
      if (Date.now() - t > 60_000) throw new Error('bandit-policy not ready after 60 s');
      await sleep(200);
    }
    const admin = grpcClient(
      CampaignServiceService,
      SERVICE_NAMES.campaigns,
      `127.0.0.1:${b.grpcPort}`,
    );
    await callUnary(
      admin.createCampaign.bind(admin),
      { campaign: campaign(), changeReason: 'bench' },
      { deadlineMs: 15_000 },
    );
    admin.close();

    const users = cfg.BENCH_USERS;
    const offerReqs = Array.from({ length: users }, (_, u) =>
      Buffer.from(
        GetOffersRequest.encode(
          GetOffersRequest.fromPartial({
            shopId: SHOP,
            userId: `user-${u}`,
            slots: 1,
            context: {
              pageType: PageType.PAGE_TYPE_CART,
              cartValueMinor: 4000 + (u % 50) * 100,
              currency: 'EUR',
            },
          }),
        ).finish(),
      ),
    );
    /** The load generator's GetOffers call against the server on `port` (h2 or grpc-js). */
    const offersCaller = (
      port: number,
    ): { call: (k: number) => Promise<Buffer>; close(): void } => {
      if (cfg.BENCH_CLIENT === 'h2') {
        const h2 = h2Channels(`127.0.0.1:${port}`, 4);
        const frames = offerReqs.map((r) => grpcFrame(r));
        return {
          call: (k) =>
            h2[k % h2.length]!.call(
              OfferServiceService.getOffers.path,
              frames[k % users]!,
              cfg.BENCH_DEADLINE_MS,
            ),
          close: () => h2.forEach((c) => c.close()),
        };
      }
      const offers = channels(RawOffers, SERVICE_NAMES.offers, port);
      return {
        call: (k) => {
          const c = offers[k % offers.length]!;
          return callUnary(c.getOffers.bind(c), offerReqs[k % users]!, {
            deadlineMs: cfg.BENCH_DEADLINE_MS,
          });
        },
        close: () => offers.forEach((c) => c.close()),
      };
    };
    const getOffers = offersCaller(b.grpcPort).call;
    const pids = [bandit, ...(sink ? [sink] : []), feature, scoring].map((p) => p.child.pid!);
    const degraded = (res: Buffer) => GetOffersResponse.decode(res).degraded;

    // The requests and answers of a decision's three calls, as the services give them. The
    // no-op chain below answers with these bytes.
    const fReq = Buffer.from(
      GetFeaturesRequest.encode(
        GetFeaturesRequest.fromPartial({
          shopId: SHOP,
          userId: 'user-1',
          candidates: campaign().offers.map((o) => ({
            offerId: o.offerId,
            campaignId: 'bench-cmp',
          })),
        }),
      ).finish(),
    );
    const fc = channels(RawFeatures, SERVICE_NAMES.features, f.grpcPort);
    const fRes = await callUnary(fc[0]!.getFeatures.bind(fc[0]!), fReq, { deadlineMs: 5000 });
    const features = GetFeaturesResponse.decode(fRes).features;
    const sc = channels(RawScoring, SERVICE_NAMES.scoring, s.grpcPort);
    const sReq = Buffer.from(
      ScoreRequest.encode(ScoreRequest.fromPartial({ modelName: mlp.name, features })).finish(),
    );
    const sRes = await callUnary(sc[0]!.score.bind(sc[0]!), sReq, { deadlineMs: 5000 });
    const oRes = await getOffers(0);

    const B = cfg.BENCH_SECONDS;
    const step = Math.max(3, Math.round(B / 8));
    const rows: (string | number)[][] = [
      [
        'path',
        'req/s asked',
        'achieved',
        'p50 ms',
        'p99 ms',
        'p99.9 ms',
        'errors',
        'degraded',
        'CPU % services / bench / rest',
      ],
    ];
    const row = (label: string, r: RateResult) => {
      rows.push([
        label,
        r.rate,
        Math.round(r.achievedRate),
        pct(r, 50),
        pct(r, 99),
        pct(r, 99.9),
        r.errors,
        `${r.flagged}/${r.sampled}`,
        `${Math.round(r.serverCpu)} / ${Math.round(r.benchCpu)} / ${Math.round(r.otherCpu)}`,
      ]);
      const kinds = [...r.errorKinds].map(([k, n]) => `${n}× ${k}`).join('; ');
      log(
        `  ${label} ${r.rate}/s: p50 ${pct(r, 50)} ms, p99 ${pct(r, 99)} ms, errors ${r.errors}${kinds ? ` (${kinds})` : ''}, degraded ${r.flagged}/${r.sampled}`,
      );
    };
    const rates = [...new Set([...cfg.BENCH_RATES.split(',').map((x) => Number(x.trim())), 1000])]
      .filter((x) => Number.isInteger(x) && x > 0)
      .sort((x, y) => x - y);
    /** End to end means the full path: answers degraded (features or scoring skipped, e.g. shed
     * under BANDIT_SHED_LAG_MS) may be at most 1 % of those sampled. */
    const holds = (r: RateResult, rate: number) =>
      pct(r, 99) <= 25 &&
      r.errors === 0 &&
      r.achievedRate >= rate * 0.95 &&
      r.flagged <= 0.01 * r.sampled;
    const seconds = (rate: number) => (rate === 1000 ? Math.max(step, Math.round(B / 3)) : step);

    // The transport ceiling: the same ladder through three no-op grpc-js hops, each its own
    // process (GetOffers → GetFeatures, then Score; pre-encoded answers, nothing decoded, no
    // decision log). What this chain cannot hold here, no service of that shape on grpc-js can.
    // It runs first, while the services idle (no warm-up decisions to store yet).
    let noopAt1000: RateResult | undefined;
    let noopMaxOk = 0;
    {
      const nf = await startNoopHop({ path: FeatureServiceService.getFeatures.path, answer: fRes });
      const ns = await startNoopHop({ path: ScoringServiceService.score.path, answer: sRes });
      const no = await startNoopHop({
        path: OfferServiceService.getOffers.path,
        answer: oRes,
        downstream: [
          { path: FeatureServiceService.getFeatures.path, hop: nf, request: fReq },
          { path: ScoringServiceService.score.path, hop: ns, request: sReq },
        ],
        hopDeadlineMs: cfg.BENCH_DEADLINE_MS,
      });
      const chain = offersCaller(no.port);
      try {
        const chainPids = [no.pid, nf.pid, ns.pid];
        await openLoop(chain.call, 200, 2, chainPids); // connections, JIT
        for (const rate of rates) {
          log(`bench-offers: no-op chain at ${rate} req/s for ${seconds(rate)} s …`);
          const r = await openLoop(chain.call, rate, seconds(rate), chainPids);
          row('no-op chain (3 grpc-js hops, no work)', r);
          if (rate === 1000) noopAt1000 = r;
          if (holds(r, rate)) noopMaxOk = rate;
          else if (rate > 1000) break;
          await sleep(1000);
        }
      } finally {
        chain.close();
        for (const h of [no, nf, ns]) h.stop();
      }
    }

    // Warm-up: every user once at a gentle rate (features loaded, model scored, leases taken).
    // Twice: a first request may find the feature service's loads full (it sheds them and
    // answers from memory); the steps below measure the steady state, not a cold start.
    for (const pass of [1, 2]) {
      log(`bench-offers: warming ${users} users (pass ${pass}) …`);
      await openLoop(getOffers, 200, Math.max(3, users / 200), pids, degraded);
    }

    // The two calls a decision makes, alone, at 1,000 req/s (first: the decision log's
    // ClickHouse sink works on after the GetOffers steps and would skew them).
    const rf = await openLoop(
      (k) =>
        callUnary(fc[k % fc.length]!.getFeatures.bind(fc[k % fc.length]!), fReq, {
          deadlineMs: cfg.BENCH_DEADLINE_MS,
        }),
      1000,
      step,
      [feature.child.pid!],
    );
    row('GetFeatures alone (20 candidates)', rf);
    const rs = await openLoop(
      (k) =>
        callUnary(sc[k % sc.length]!.score.bind(sc[k % sc.length]!), sReq, {
          deadlineMs: cfg.BENCH_DEADLINE_MS,
        }),
      1000,
      step,
      [scoring.child.pid!],
    );
    row('Score alone (MLP, K = 20)', rs);

    let at1000: RateResult | undefined;
    let maxOk = 0;
    for (const rate of rates) {
      log(`bench-offers: GetOffers at ${rate} req/s for ${seconds(rate)} s …`);
      const before = await banditCounters(b.httpPort);
      const cpu0 = {
        at: Date.now(),
        serve: cpuSeconds(bandit.child.pid!),
        sink: sink ? cpuSeconds(sink.child.pid!) : 0,
      };
      const r = await openLoop(getOffers, rate, seconds(rate), pids, degraded);
      row('GetOffers (features + scoring + policy + log)', r);
      const wall = (Date.now() - cpu0.at) / 1000;
      const share = (pid: number, from: number) =>
        Math.round(((cpuSeconds(pid) - from) / wall) * 100);
      log(
        `    ${stageLine(before, await banditCounters(b.httpPort))}; CPU % of a core: serving replica ${share(bandit.child.pid!, cpu0.serve)}${sink ? `, sink replica ${share(sink.child.pid!, cpu0.sink)}` : ' (sink included)'}`,
      );
      if (rate === 1000) at1000 = r;
      if (holds(r, rate)) maxOk = rate;
      else if (rate > 1000) break;
      await sleep(1000);
    }

    const rss = rssMb(bandit.child.pid!, 'VmHWM');
    // The services read it from the environment they inherit from this process.
    const shedLagMs = Number(process.env.BANDIT_SHED_LAG_MS ?? 0);
    printReport(
      `bench-offers: GetOffers with ${CANDIDATES} candidate offers, ${users} users, ${cores} cores shared with Kafka, ClickHouse, the services and the load generator (${cfg.BENCH_CLIENT === 'h2' ? 'raw HTTP/2' : 'grpc-js'} client; load shedding ${shedLagMs > 0 ? `on at ${shedLagMs} ms` : 'off'}; machine ${Math.round(busyBefore)} % busy before)`,
      rows,
      {
        p99_ms_at_1000rps: at1000 ? pct(at1000, 99) : NaN,
        max_rps_p99_25ms: maxOk,
        p50_ms_at_1000rps: at1000 ? pct(at1000, 50) : NaN,
        errors_at_1000rps: at1000?.errors ?? NaN,
        degraded_share_at_1000rps: at1000
          ? +(at1000.flagged / Math.max(1, at1000.sampled)).toFixed(3)
          : NaN,
        features_p99_ms_at_1000rps: pct(rf, 99),
        scoring_p99_ms_at_1000rps: pct(rs, 99),
        noop_chain_p99_ms_at_1000rps: noopAt1000 ? pct(noopAt1000, 99) : NaN,
        noop_chain_max_rps_p99_25ms: noopMaxOk,
        bandit_peak_rss_mb: Math.round(rss),
      },
    );
  } finally {
    await run.cleanup();
    rmSync(store, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(
      `bench-offers failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  },
);
