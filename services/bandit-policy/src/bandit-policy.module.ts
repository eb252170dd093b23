import { Module } from '@nestjs/common';
import { InfrastructureModule } from '@offerstream/service-kit';

/** The bandit-policy service. Its gRPC controllers and Kafka consumers are added here. */
@Module({
  imports: [
    InfrastructureModule.forRoot({
      clientId: 'offerstream-bandit-policy',
      kafka: true,
      clickhouse: true,
    }),
  ],
})
export class BanditPolicyModule {}
