import { Catch, HttpException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { throwError, type Observable } from 'rxjs';
import type { Logger } from '@offerstream/logging';
import { toGrpcError, type GrpcErrorObject, type GrpcStatusMapper } from './grpc-errors';

/** Sends domain errors as typed statuses and hides everything unexpected behind INTERNAL. */
@Catch()
export class GrpcExceptionFilter implements ExceptionFilter<unknown> {
  constructor(
    private readonly logger: Logger,
    private readonly mappers: readonly GrpcStatusMapper[] = [],
  ) {}

  catch(exception: unknown, host: ArgumentsHost): Observable<GrpcErrorObject> | void {
    if (host.getType() !== 'rpc') return this.replyHttp(exception, host);
    const err = exception instanceof RpcException ? exception.getError() : exception;
    const { error, unexpected } = toGrpcError(err, this.mappers);
    if (unexpected) this.logger.error({ err: exception }, 'unexpected error in gRPC handler');
    return throwError(() => error);
  }

  /** The same rule on the HTTP side (probes, metrics): HttpExceptions as they are, the rest as 500. */
  private replyHttp(exception: unknown, host: ArgumentsHost): void {
    const res = host
      .switchToHttp()
      .getResponse<{ status(code: number): { json(body: unknown): void } }>();
    if (exception instanceof HttpException) {
      res.status(exception.getStatus()).json(exception.getResponse());
      return;
    }
    this.logger.error({ err: exception }, 'unexpected error in HTTP handler');
    res.status(500).json({ statusCode: 500, message: 'internal error' });
  }
}
