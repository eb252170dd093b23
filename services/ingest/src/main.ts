import { SERVICE_NAMES } from '@offerstream/contracts';
import { runService } from '@offerstream/service-kit';
import { ingestVars } from './ingest.config';
import { IngestModule } from './ingest.module';

runService({
  name: 'ingest',
  module: IngestModule,
  grpcServices: [SERVICE_NAMES.ingest],
  env: ingestVars,
});
