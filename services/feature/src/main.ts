import { SERVICE_NAMES } from '@offerstream/contracts';
import { runService } from '@offerstream/service-kit';
import { featureVars } from './feature.config';
import { featureStatusMapper } from './feature.exception';
import { FeatureModule } from './feature.module';

runService({
  name: 'feature',
  module: FeatureModule,
  grpcServices: [SERVICE_NAMES.features],
  env: featureVars,
  errorMappers: [featureStatusMapper],
});
