import {
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { throwError, timeout, type Observable } from 'rxjs';
import { CommonErrorCode, CommonException } from './domain.exception';

interface CallWithDeadline {
  getDeadline?: () => Date | number;
}

/** Milliseconds left before a call's deadline; Infinity when the caller set none. */
export function remainingMs(call: unknown, now: number = Date.now()): number {
  const d = (call as CallWithDeadline | undefined)?.getDeadline?.();
  if (d === undefined) return Infinity;
  const at = d instanceof Date ? d.getTime() : d;
  return Number.isFinite(at) ? at - now : Infinity;
}

function deadlineError(): CommonException {
  return new CommonException(
    CommonErrorCode.DEADLINE_EXCEEDED,
    'the call deadline passed before the answer was ready',
  );
}

/**
 * Honours the caller's deadline: a call that arrives already expired is refused at once,
 * and a handler still running at the deadline is abandoned (unsubscribed) with
 * DEADLINE_EXCEEDED, so no work continues for an answer nobody will read.
 */
@Injectable()
export class DeadlineInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'rpc') return next.handle();
    const left = remainingMs(context.getArgByIndex(2));
    if (left === Infinity) return next.handle();
    if (left <= 0) return throwError(deadlineError);
    return next.handle().pipe(timeout({ first: left, with: () => throwError(deadlineError) }));
  }
}
