/**
 * The transport ceiling of bench-scoring: a grpc-js server with the scoring service's method
 * and server options that does nothing — it neither decodes the request nor runs a model and
 * answers every call with the same pre-encoded ScoreResponse of NOOP_K rows. Whatever rate
 * the load generator reaches against it, no scoring service on grpc-js can pass on this
 * machine. Prints `NOOP_PORT=<port>` once serving; SIGTERM stops it.
 */
import { Server, ServerCredentials, type sendUnaryData } from '@grpc/grpc-js';
import { ScoreResponse, ScoringServiceService } from '@offerstream/contracts';
import { SERVER_OPTIONS } from '@offerstream/grpc';

const k = Number(process.env.NOOP_K ?? '100');
const answer = Buffer.from(
  ScoreResponse.encode(
    ScoreResponse.fromPartial({
      modelName: 'noop',
      modelVersion: 'v0',
      scores: Array.from({ length: k }, (_, i) => ({
        offerId: `offer-${i}`,
        campaignId: 'camp',
        pClick: 0.1,
        pPurchase: 0.2,
        pPurchaseGivenOffer: 0.2,
        pPurchaseNoOffer: 0.1,
        uplift: 0.1,
      })),
      latency: { batchSize: 1 },
    }),
  ).finish(),
);
const asIs = (b: Buffer) => b;
// The options every service's server starts with.
const server = new Server({ ...SERVER_OPTIONS });
server.addService(
  {
    score: {
      ...ScoringServiceService.score,
      requestDeserialize: asIs,
      responseSerialize: asIs,
    },
  },
  { score: (_call: unknown, cb: sendUnaryData<Buffer>) => cb(null, answer) },
);
server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, port) => {
  if (err) throw err;
  process.stdout.write(`NOOP_PORT=${port}\n`);
});
process.once('SIGTERM', () => server.tryShutdown(() => process.exit(0)));
