/**
 * Base class of every domain error. A service declares its own codes as an enum and its
 * own subclass (`OfferException` with `OfferExceptionCode`), plus one mapper that turns
 * each code into a gRPC status with an exhaustive switch.
 */
export abstract class DomainException<C extends string = string> extends Error {
  constructor(
    /** Machine-readable reason, sent to clients in the `offerstream-error-reason` trailer. */
    readonly code: C,
    message: string,
    /** Extra machine-readable facts (e.g. the limit that was exceeded), sent as trailers. */
    readonly details: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Errors any service can raise at its edge. */
export enum CommonErrorCode {
  INVALID_ARGUMENT = 'INVALID_ARGUMENT',
  DEADLINE_EXCEEDED = 'DEADLINE_EXCEEDED',
  UNAVAILABLE = 'UNAVAILABLE',
  SHUTTING_DOWN = 'SHUTTING_DOWN',
}

export class CommonException extends DomainException<CommonErrorCode> {}

/** Compile-time exhaustiveness check for `switch` over an enum. */
export function assertUnreachable(x: never): never {
  throw new Error(`unreachable: ${String(x)}`);
}
