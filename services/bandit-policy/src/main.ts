import { SERVICE_NAMES } from '@offerstream/contracts';
import { runService } from '@offerstream/service-kit';
import { banditPolicyVars } from './bandit-policy.config';
import { BanditPolicyModule } from './bandit-policy.module';
import { banditStatusMapper } from './bandit.exception';

runService({
  name: 'bandit-policy',
  version: '0.1.0',
  module: BanditPolicyModule,
  grpcServices: [SERVICE_NAMES.offers, SERVICE_NAMES.campaigns],
  env: banditPolicyVars,
  errorMappers: [banditStatusMapper],
});
