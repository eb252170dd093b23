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
import { Server, ServerCredentials, type sendUnaryData, type ServiceError } from '@grpc/grpc-js';
import { callUnary, grpcClient } from '@offerstream/contracts';
import { SERVER_OPTIONS } from '@offerstream/grpc';
import type { NoopSpec } from './noop';

const spec = JSON.parse(readFileSync(process.env.NOOP_SPEC ?? '', 'utf8')) as NoopSpec;
const answer = Buffer.from(spec.answer, 'base64');
const asIs = (b: Buffer) => b;
/** A unary method `path` whose messages are bytes (nothing decoded, nothing encoded). */
const bytesMethod = (path: string) => ({
  call: {
    path,
    originalName: 'call',
    requestStream: false,
    responseStream: false,
    requestSerialize: asIs,
    requestDeserialize: asIs,
    responseSerialize: asIs,
    responseDeserialize: asIs,
  },
});
// Clients opened as the services open theirs.
const hops = spec.downstream.map((d) => ({
  request: Buffer.from(d.request, 'base64'),
  client: grpcClient(bytesMethod(d.path), 'noop-hop', d.address),
}));

const server = new Server({ ...SERVER_OPTIONS });
server.addService(bytesMethod(spec.path), {
  call: (_call: unknown, cb: sendUnaryData<Buffer>) => {
    if (hops.length === 0) {
      cb(null, answer);
      return;
    }
    void (async () => {
      for (const h of hops)
        await callUnary(h.client.call.bind(h.client), h.request, {
          deadlineMs: spec.hopDeadlineMs,
        });
    })().then(
      () => cb(null, answer),
      (err: ServiceError) => cb(err),
    );
  },
});
server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, port) => {
  if (err) throw err;
  process.stdout.write(`NOOP_PORT=${port}\n`);
});
process.once('SIGTERM', () => {
  for (const h of hops) h.client.close();
  server.tryShutdown(() => process.exit(0));
});
