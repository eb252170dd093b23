import {
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { status } from '@grpc/grpc-js';
import { tap, type Observable } from 'rxjs';
import { toGrpcError, type GrpcStatusMapper } from '@offerstream/grpc';
import type { Histogram } from 'prom-client';

/** Records each gRPC call's latency and resulting status code. */
@Injectable()
export class GrpcMetricsInterceptor implements NestInterceptor {
  constructor(
    private readonly histogram: Histogram<'method' | 'code'>,
    private readonly mappers: readonly GrpcStatusMapper[],
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'rpc') return next.handle();
    const method = `${context.getClass().name}.${context.getHandler().name}`;
    const end = this.histogram.startTimer({ method });
    return next.handle().pipe(
      tap({
        complete: () => end({ code: status[status.OK] }),
        error: (err: unknown) => end({ code: status[toGrpcError(err, this.mappers).error.code] }),
      }),
    );
  }
}
