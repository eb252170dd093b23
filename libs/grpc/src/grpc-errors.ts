import { Metadata, status } from '@grpc/grpc-js';
import {
  assertUnreachable,
  CommonErrorCode,
  CommonException,
  DomainException,
} from './domain.exception';

/** Maps the errors one service owns to gRPC status codes; `undefined` for errors it does not own. */
export type GrpcStatusMapper = (err: DomainException) => status | undefined;

/** The mapper for CommonException. */
export const commonStatusMapper: GrpcStatusMapper = (err) => {
  if (!(err instanceof CommonException)) return undefined;
  switch (err.code) {
    case CommonErrorCode.INVALID_ARGUMENT:
      return status.INVALID_ARGUMENT;
    case CommonErrorCode.DEADLINE_EXCEEDED:
      return status.DEADLINE_EXCEEDED;
    case CommonErrorCode.UNAVAILABLE:
    case CommonErrorCode.SHUTTING_DOWN:
      return status.UNAVAILABLE;
    default:
      return assertUnreachable(err.code);
  }
};

/** What grpc-js sends for a failed call. */
export interface GrpcErrorObject {
  readonly code: status;
  readonly message: string;
  readonly details: string;
  readonly metadata: Metadata;
}

export const REASON_TRAILER = 'offerstream-error-reason';

function errorObject(
  code: status,
  message: string,
  meta: Record<string, string> = {},
): GrpcErrorObject {
  const metadata = new Metadata();
  for (const [k, v] of Object.entries(meta)) metadata.set(k, v);
  return { code, message, details: message, metadata };
}

function isStatusCarrying(
  err: unknown,
): err is { code: status; details?: string; message?: string } {
  return (
    typeof err === 'object' &&
    err !== null &&
    typeof (err as { code?: unknown }).code === 'number' &&
    Object.values(status).includes((err as { code: number }).code)
  );
}

/**
 * Turns any thrown value into what goes on the wire. Only domain errors with a mapped code
 * and errors that already carry a gRPC status cross it; anything else becomes INTERNAL with
 * a generic message (the caller logs the original).
 */
export function toGrpcError(
  err: unknown,
  mappers: readonly GrpcStatusMapper[],
): { error: GrpcErrorObject; unexpected: boolean } {
  if (err instanceof DomainException) {
    const domainErr = err as DomainException<string>;
    for (const m of [commonStatusMapper, ...mappers]) {
      const code = m(domainErr);
      if (code !== undefined) {
        const meta: Record<string, string> = { [REASON_TRAILER]: domainErr.code };
        for (const [k, v] of Object.entries(domainErr.details)) {
          meta[`offerstream-${k.toLowerCase().replace(/[^a-z0-9-]/g, '-')}`] = v;
        }
        return {
          error: errorObject(code, `${domainErr.code}: ${domainErr.message}`, meta),
          unexpected: false,
        };
      }
    }
    return { error: errorObject(status.INTERNAL, 'internal error'), unexpected: true };
  }
  if (isStatusCarrying(err)) {
    const message = err.details ?? err.message ?? status[err.code];
    return { error: errorObject(err.code, message), unexpected: false };
  }
  return { error: errorObject(status.INTERNAL, 'internal error'), unexpected: true };
}
