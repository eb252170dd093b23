// Loads a trainer-written model the way the scoring service does, with its own compiled code
// (services/scoring/dist): the announcement bytes are decoded with the generated
// ModelAnnouncement codec, the files read from the store directory, model.json checked by
// parseManifest, the checksum compared, the ONNX session created and health-checked. Then
// one request is encoded with encodeRows and scored, so the Python side can compare values.
// stdin: {store, announcement_b64, spec_version, request?: {user, candidates, sequence}}
// stdout: {loaded, refused, events, heads}
'use strict';
const path = require('node:path');

const repo = path.resolve(__dirname, '../../..');
const scoring = path.join(repo, 'services/scoring');
const need = (m) => require(require.resolve(m, { paths: [scoring] }));
const { ModelAnnouncement } = need('@offerstream/contracts');
const { loadFeatureSpec } = need('@offerstream/features');
const { ModelRegistry } = require(path.join(scoring, 'dist/model-registry.service.js'));
const { ModelStoreRepository } = require(path.join(scoring, 'dist/model-store.repository.js'));
const { createSession } = require(path.join(scoring, 'dist/onnx-session.repository.js'));

async function main() {
  let text = '';
  for await (const chunk of process.stdin) text += chunk;
  const input = JSON.parse(text);
  const announcement = ModelAnnouncement.decode(Buffer.from(input.announcement_b64, 'base64'));
  const spec = loadFeatureSpec(input.spec_version);
  const store = new ModelStoreRepository(input.store);
  const events = [];
  const quiet = () => undefined;
  const logger = { info: quiet, warn: quiet, error: quiet, debug: quiet, trace: quiet };
  const registry = new ModelRegistry({
    spec,
    modelName: announcement.modelName,
    readFiles: (uri) => store.read(uri),
    createSession: (bytes) =>
      createSession(bytes, {
        providers: ['cpu'],
        intraOpThreads: 1,
        interOpThreads: 1,
        graphOptimization: 'all',
      }),
    batching: { maxBatchRows: 1024, maxQueueDelayUs: 0, maxQueueRows: 100000, maxConcurrentRuns: 1 },
    rollbackErrors: 3,
    logger,
    onEvent: (event, model, detail) => events.push({ event, model, reason: detail?.reason }),
  });
  await registry.apply(announcement);
  const current = registry.current;
  const out = {
    loaded: current ? current.version : null,
    refused: events.find((e) => e.event === 'refused')?.reason ?? null,
    events,
    announcement: ModelAnnouncement.toJSON(announcement),
    heads: null,
  };
  if (current && input.request) {
    const r = input.request;
    const encoded = current.encode(r.user, r.candidates, r.sequence);
    const { result } = await current.score(encoded, Infinity);
    out.heads = {
      click: Array.from(result.click),
      purchase: Array.from(result.purchase),
      purchaseGivenOffer: Array.from(result.purchaseGivenOffer),
      purchaseNoOffer: result.purchaseNoOffer ? Array.from(result.purchaseNoOffer) : null,
      uplift: Array.from(result.uplift),
    };
  }
  await registry.close();
  process.stdout.write(JSON.stringify(out));
}

main().catch((err) => {
  process.stderr.write(String(err && err.stack ? err.stack : err));
  process.exit(1);
});
