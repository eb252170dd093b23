import { Module } from '@nestjs/common';
import { InfrastructureModule } from '@offerstream/service-kit';

/** The scoring service. Its gRPC controllers and Kafka consumers are added here. */
@Module({
  imports: [
    InfrastructureModule.forRoot({
      clientId: 'offerstream-scoring',
      kafka: true,
      clickhouse: false,
    }),
  ],
})
export class ScoringModule {}
