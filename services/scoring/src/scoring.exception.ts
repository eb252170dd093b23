import { status } from '@grpc/grpc-js';
import { assertUnreachable, DomainException, type GrpcStatusMapper } from '@offerstream/grpc';

/** Errors of the scoring service. */
export enum ScoringErrorCode {
  /** No model is loaded for the name asked (yet). */
  NO_MODEL = 'NO_MODEL',
  /** The pinned model name/version is not loaded here. */
  UNKNOWN_MODEL = 'UNKNOWN_MODEL',
  /** The features follow another spec version than the model's. */
  SPEC_MISMATCH = 'SPEC_MISMATCH',
  /** The batching queue is full: the caller should degrade. */
  OVERLOADED = 'OVERLOADED',
  /** A model (file, checksum, manifest) was refused at load. Never sent to callers. */
  MODEL_REFUSED = 'MODEL_REFUSED',
}

export class ScoringException extends DomainException<ScoringErrorCode> {}

export const scoringStatusMapper: GrpcStatusMapper = (err) => {
  if (!(err instanceof ScoringException)) return undefined;
  switch (err.code) {
    case ScoringErrorCode.NO_MODEL:
      return status.UNAVAILABLE;
    case ScoringErrorCode.UNKNOWN_MODEL:
      return status.NOT_FOUND;
    case ScoringErrorCode.SPEC_MISMATCH:
      return status.FAILED_PRECONDITION;
    case ScoringErrorCode.OVERLOADED:
      return status.RESOURCE_EXHAUSTED;
    case ScoringErrorCode.MODEL_REFUSED:
      return status.INTERNAL;
    default:
      return assertUnreachable(err.code);
  }
};
