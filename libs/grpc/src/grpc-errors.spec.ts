import { status } from '@grpc/grpc-js';
import { remainingMs } from './deadline';
import {
  assertUnreachable,
  CommonErrorCode,
  CommonException,
  DomainException,
} from './domain.exception';
import { REASON_TRAILER, toGrpcError, type GrpcStatusMapper } from './grpc-errors';

enum BudgetCode {
  BUDGET_EXHAUSTED = 'BUDGET_EXHAUSTED',
}
class BudgetException extends DomainException<BudgetCode> {}
const budgetMapper: GrpcStatusMapper = (e) => {
  if (!(e instanceof BudgetException)) return undefined;
  switch (e.code) {
    case BudgetCode.BUDGET_EXHAUSTED:
      return status.RESOURCE_EXHAUSTED;
    default:
      return assertUnreachable(e.code);
  }
};

describe('toGrpcError', () => {
  it('maps a service domain error through its mapper with reason and details', () => {
    const { error, unexpected } = toGrpcError(
      new BudgetException(BudgetCode.BUDGET_EXHAUSTED, 'campaign c1 has no budget left', {
        campaign_id: 'c1',
      }),
      [budgetMapper],
    );
    expect(unexpected).toBe(false);
    expect(error.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(error.details).toBe('BUDGET_EXHAUSTED: campaign c1 has no budget left');
    expect(error.metadata.get(REASON_TRAILER)).toEqual(['BUDGET_EXHAUSTED']);
    expect(error.metadata.get('offerstream-campaign-id')).toEqual(['c1']);
  });

  it('maps the common errors without any service mapper', () => {
    expect(
      toGrpcError(new CommonException(CommonErrorCode.INVALID_ARGUMENT, 'bad id'), []).error.code,
    ).toBe(status.INVALID_ARGUMENT);
    expect(
      toGrpcError(new CommonException(CommonErrorCode.SHUTTING_DOWN, 'bye'), []).error.code,
    ).toBe(status.UNAVAILABLE);
  });

  it('treats a domain error nobody maps, and any plain error, as INTERNAL without leaking its message', () => {
    for (const err of [
      new BudgetException(BudgetCode.BUDGET_EXHAUSTED, 'x'),
      new Error('password=hunter2'),
      'a string',
    ]) {
      const { error, unexpected } = toGrpcError(err, []);
      expect(unexpected).toBe(true);
      expect(error.code).toBe(status.INTERNAL);
      expect(error.details).toBe('internal error');
    }
  });

  it('passes through errors that already carry a gRPC status (a downstream call failed)', () => {
    const { error, unexpected } = toGrpcError(
      { code: status.UNAVAILABLE, details: 'feature service down' },
      [],
    );
    expect(unexpected).toBe(false);
    expect(error).toMatchObject({ code: status.UNAVAILABLE, details: 'feature service down' });
  });
});

describe('deadlines', () => {
  it('computes the time left, Infinity without a deadline', () => {
    expect(remainingMs({ getDeadline: () => new Date(1500) }, 1000)).toBe(500);
    expect(remainingMs({ getDeadline: () => Infinity }, 1000)).toBe(Infinity);
    expect(remainingMs(undefined)).toBe(Infinity);
  });
});
