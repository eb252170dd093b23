import { Module } from '@nestjs/common';
import { InfrastructureModule } from '@offerstream/service-kit';

/** The ingest service. Its gRPC controllers and Kafka consumers are added here. */
@Module({
  imports: [
    InfrastructureModule.forRoot({ clientId: 'offerstream-ingest', kafka: true, clickhouse: true }),
  ],
})
export class IngestModule {}
