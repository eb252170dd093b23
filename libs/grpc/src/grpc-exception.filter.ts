import { Catch, type ArgumentsHost, type RpcExceptionFilter } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { throwError, type Observable } from 'rxjs';
import type { Logger } from '@offerstream/logging';
import { toGrpcError, type GrpcErrorObject, type GrpcStatusMapper } from './grpc-errors';

/** Sends domain errors as typed statuses and hides everything unexpected behind INTERNAL. */
@Catch()
export class GrpcExceptionFilter implements RpcExceptionFilter<unknown> {
  constructor(
    private readonly logger: Logger,
    private readonly mappers: readonly GrpcStatusMapper[] = [],
  ) {}

  catch(exception: unknown, host: ArgumentsHost): Observable<GrpcErrorObject> {
    const err = exception instanceof RpcException ? exception.getError() : exception;
    const { error, unexpected } = toGrpcError(err, this.mappers);
    if (unexpected) {
      const handler = host.getType() === 'rpc' ? host.switchToRpc().getContext<unknown>() : undefined;
      this.logger.error({ err: exception, handler: handler ? 'rpc' : host.getType() }, 'unexpected error in gRPC handler');
    }
    return throwError(() => error);
  }
}
