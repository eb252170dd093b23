/**
 * A transport ceiling's building block: a grpc-js server, with the server options every
 * offerstream service starts with, that serves one unary method and does no work of its own.
 * It decodes nothing and answers every call with the same pre-encoded bytes — an answer the
 * real service gave — after calling its downstream hops one after the other (each a grpc-js
 * client call with pre-encoded request bytes, as bandit-policy calls the feature and then the
 * scoring service). Chained, these measure what no service of that shape on grpc-js can beat
 * on this machine (noop.ts starts them).
 *
 * Reads the JSON file named by NOOP_SPEC ({@link NoopSpec}); prints `NOOP_PORT=<port>` once
 * serving; SIGTERM stops it.
 */
import { readFileSync } from 'node:fs';
import {
  Client,
  credentials,
  Metadata,
  Server,
  ServerCredentials,
  type sendUnaryData,
  type ServiceError,
} from '@grpc/grpc-js';
import { SERVER_OPTIONS } from '@offerstream/grpc';
import type { NoopSpec } from './noop';

const spec = JSON.parse(readFileSync(process.env.NOOP_SPEC ?? '', 'utf8')) as NoopSpec;
const answer = Buffer.from(spec.answer, 'base64');
const asIs = (b: Buffer) => b;
const hops = spec.downstream.map((d) => ({
  path: d.path,
  request: Buffer.from(d.request, 'base64'),
  // As the services open their clients (grpcClient in @offerstream/contracts).
  client: new Client(d.address, credentials.createInsecure(), { 'grpc.enable_channelz': 0 }),
}));

function callHop(h: (typeof hops)[number], deadlineMs: number): Promise<void> {
  return new Promise((resolve, reject) =>
    h.client.makeUnaryRequest(
      h.path,
      asIs,
      asIs,
      h.request,
      new Metadata(),
      { deadline: Date.now() + deadlineMs },
      (err: ServiceError | null) => (err ? reject(err) : resolve()),
    ),
  );
}

const server = new Server({ ...SERVER_OPTIONS });
server.addService(
  {
    call: {
      path: spec.path,
      requestStream: false,
      responseStream: false,
      requestSerialize: asIs,
      requestDeserialize: asIs,
      responseSerialize: asIs,
      responseDeserialize: asIs,
    },
  },
  {
    call: (_call: unknown, cb: sendUnaryData<Buffer>) => {
      if (hops.length === 0) {
        cb(null, answer);
        return;
      }
      void (async () => {
        for (const h of hops) await callHop(h, spec.hopDeadlineMs);
      })().then(
        () => cb(null, answer),
        (err: ServiceError) => cb(err),
      );
    },
  },
);
server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, port) => {
  if (err) throw err;
  process.stdout.write(`NOOP_PORT=${port}\n`);
});
process.once('SIGTERM', () => {
  for (const h of hops) h.client.close();
  server.tryShutdown(() => process.exit(0));
});
