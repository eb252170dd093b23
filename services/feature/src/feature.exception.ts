import { status } from '@grpc/grpc-js';
import { assertUnreachable, DomainException, type GrpcStatusMapper } from '@offerstream/grpc';

/** Errors of the feature service. */
export enum FeatureErrorCode {
  /** The request names a feature spec version this instance does not serve. */
  UNKNOWN_SPEC_VERSION = 'UNKNOWN_SPEC_VERSION',
}

export class FeatureException extends DomainException<FeatureErrorCode> {}

export const featureStatusMapper: GrpcStatusMapper = (err) => {
  if (!(err instanceof FeatureException)) return undefined;
  switch (err.code) {
    case FeatureErrorCode.UNKNOWN_SPEC_VERSION:
      return status.NOT_FOUND;
    default:
      return assertUnreachable(err.code);
  }
};
