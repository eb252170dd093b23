/**
 * The offerstream v1 contracts, generated from proto/offerstream/v1 by `pnpm gen`
 * (ts-proto): message types with encode/decode (Kafka payloads), NestJS controller
 * interfaces and decorators, and grpc-js service definitions for clients.
 */
export * from './gen/index.offerstream.v1';
// In place of the generated definitions of the same names (an explicit export wins over `*`).
export { encodeShared, FeatureServiceService, ScoringServiceService } from './float-codecs';
export { Timestamp } from './gen/google/protobuf/timestamp';
export { Duration } from './gen/google/protobuf/duration';
export {
  callUnary,
  grpcClient,
  PROTO_FILES,
  protoRoot,
  PROTO_PACKAGE,
  SERVICE_DEFINITIONS,
  SERVICE_NAMES,
} from './proto-files';
export type { GrpcClientOf, ServiceName } from './proto-files';
