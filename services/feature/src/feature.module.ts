import { Module } from '@nestjs/common';
import { InfrastructureModule } from '@offerstream/service-kit';

/** The feature service. Its gRPC controllers and Kafka consumers are added here. */
@Module({
  imports: [
    InfrastructureModule.forRoot({
      clientId: 'offerstream-feature',
      kafka: true,
      clickhouse: true,
    }),
  ],
})
export class FeatureModule {}
