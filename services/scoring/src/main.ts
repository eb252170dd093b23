import { SERVICE_NAMES } from '@offerstream/contracts';
import { runService } from '@offerstream/service-kit';
import { scoringVars } from './scoring.config';
import { scoringStatusMapper } from './scoring.exception';
import { ScoringModule } from './scoring.module';

runService({
  name: 'scoring',
  module: ScoringModule,
  grpcServices: [SERVICE_NAMES.scoring],
  env: scoringVars,
  errorMappers: [scoringStatusMapper],
});
