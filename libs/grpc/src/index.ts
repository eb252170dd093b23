export { remainingMs } from './deadline';
export {
  assertUnreachable,
  CommonErrorCode,
  CommonException,
  DomainException,
} from './domain.exception';
export { commonStatusMapper, REASON_TRAILER, toGrpcError } from './grpc-errors';
export type { GrpcErrorObject, GrpcStatusMapper } from './grpc-errors';
export { GrpcExceptionFilter } from './grpc-exception.filter';
export { checkHealth, listServices } from './grpc-probe';
export { GrpcHost, SERVER_OPTIONS } from './grpc-host';
export type { GrpcHostOptions } from './grpc-host';
