import { status } from '@grpc/grpc-js';
import { assertUnreachable, DomainException, type GrpcStatusMapper } from '@offerstream/grpc';

/** Errors of the bandit-policy service (offers and campaigns). */
export enum BanditErrorCode {
  /** The campaign (or offer) does not exist in this shop. */
  CAMPAIGN_NOT_FOUND = 'CAMPAIGN_NOT_FOUND',
  /** A campaign with this id already exists. */
  CAMPAIGN_EXISTS = 'CAMPAIGN_EXISTS',
  /** expected_version is not the current version (someone changed it first): re-read, retry. */
  VERSION_CONFLICT = 'VERSION_CONFLICT',
  /** The status change is not allowed from the current status (e.g. resuming an ENDED campaign). */
  ILLEGAL_TRANSITION = 'ILLEGAL_TRANSITION',
  /** The campaign catalog has not been read yet (the replica is starting). */
  CATALOG_NOT_READY = 'CATALOG_NOT_READY',
  /** A campaign change could not be written or confirmed in time. */
  CAMPAIGN_WRITE_FAILED = 'CAMPAIGN_WRITE_FAILED',
}

export class BanditException extends DomainException<BanditErrorCode> {}

export const banditStatusMapper: GrpcStatusMapper = (err) => {
  if (!(err instanceof BanditException)) return undefined;
  switch (err.code) {
    case BanditErrorCode.CAMPAIGN_NOT_FOUND:
      return status.NOT_FOUND;
    case BanditErrorCode.CAMPAIGN_EXISTS:
      return status.ALREADY_EXISTS;
    case BanditErrorCode.VERSION_CONFLICT:
      return status.ABORTED;
    case BanditErrorCode.ILLEGAL_TRANSITION:
      return status.FAILED_PRECONDITION;
    case BanditErrorCode.CATALOG_NOT_READY:
    case BanditErrorCode.CAMPAIGN_WRITE_FAILED:
      return status.UNAVAILABLE;
    default:
      return assertUnreachable(err.code);
  }
};
