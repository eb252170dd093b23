import { SERVICE_NAMES } from '@offerstream/contracts';
import { runService } from '@offerstream/service-kit';
import { banditPolicyVars } from './bandit-policy.config';
import { BanditPolicyModule } from './bandit-policy.module';

runService({
  name: 'bandit-policy',
  module: BanditPolicyModule,
  grpcServices: [SERVICE_NAMES.offers, SERVICE_NAMES.campaigns],
  env: banditPolicyVars,
});
