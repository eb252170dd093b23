/** Errors of the decision policies: a caller handed them something they cannot work with. */
export enum PolicyErrorCode {
  /** A request, option or snapshot is malformed (wrong slot count, bad seed, bad profile). */
  INVALID_ARGUMENT = 'INVALID_ARGUMENT',
  /** The budget pacer was told about a campaign it does not track. */
  UNKNOWN_CAMPAIGN = 'UNKNOWN_CAMPAIGN',
}

/**
 * A policy error with a machine-readable code. It follows `DomainException` of
 * `@offerstream/grpc` without extending it: this package does not depend on the gRPC
 * library, and the controller that calls the policies maps these codes at the edge.
 */
export class PolicyException extends Error {
  constructor(
    readonly code: PolicyErrorCode,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Compile-time exhaustiveness check for `switch` over a union. */
export function assertUnreachable(x: never): never {
  throw new Error(`unreachable: ${String(x)}`);
}
