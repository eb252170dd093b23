import { OpeErrorCode, OpeInputError } from './ope.exception';
import { seededRng } from './ope-simulation.fixture';
import { NO_OFFER, type LoggedDecision } from './ope.types';
import { crossFitRewardModel, fitRewardModel } from './reward-model';

/** The OpeInputError `fn` throws (fails the test if it throws nothing or something else). */
function opeErrorOf(fn: () => unknown): OpeInputError {
  try {
    fn();
  } catch (e) {
    if (e instanceof OpeInputError) return e;
    throw e;
  }
  throw new Error('expected an OpeInputError, nothing was thrown');
}

const ACTIONS = [NO_OFFER, 'a', 'b'];
const UNIFORM = new Map(ACTIONS.map((a) => [a, 1 / 3]));

function logged(loggedAction: string, reward: number, x?: Float64Array): LoggedDecision {
  return {
    actions: ACTIONS,
    loggedAction,
    loggingPropensity: 1 / 3,
    reward,
    targetProbabilities: UNIFORM,
    ...(x ? { features: new Map(ACTIONS.map((a) => [a, x])) } : {}),
  };
}

describe('fitRewardModel', () => {
  it('predicts each action by its mean logged reward when there are no features', () => {
    const model = fitRewardModel([
      logged('a', 1),
      logged('a', 3),
      logged(NO_OFFER, 10),
      logged(NO_OFFER, 20),
    ]);
    const q = model.predict(logged('a', 0));
    expect(q.get('a')).toBeCloseTo(2, 12);
    expect(q.get(NO_OFFER)).toBeCloseTo(15, 12);
  });

  it('predicts an action never logged at the overall mean reward', () => {
    const model = fitRewardModel([logged('a', 2), logged(NO_OFFER, 4)]);
    expect(model.predict(logged('a', 0)).get('b')).toBeCloseTo(3, 12);
  });

  it('recovers a linear reward with a small ridge penalty', () => {
    const rng = seededRng(3);
    const logs: LoggedDecision[] = [];
    for (let i = 0; i < 400; i++) {
      const x = Float64Array.of(rng.next() * 4, rng.next() * 4);
      const action = i % 2 === 0 ? 'a' : 'b';
      const y = action === 'a' ? 3 + 2 * x[0]! - x[1]! : -1 + 0.5 * x[1]!;
      logs.push(logged(action, y + (rng.next() - 0.5) * 0.01, x));
    }
    const q = fitRewardModel(logs, { ridge: 1e-6 }).predict(logged('a', 0, Float64Array.of(1, 2)));
    expect(q.get('a')).toBeCloseTo(3 + 2 - 2, 2);
    expect(q.get('b')).toBeCloseTo(-1 + 1, 2);
  });

  it('shrinks the feature weights towards the mean as the ridge penalty grows', () => {
    const logs = [0, 1, 2, 3].map((v) => logged('a', 10 * v, Float64Array.of(v)));
    const at = logged('a', 0, Float64Array.of(3));
    const loose = fitRewardModel(logs, { ridge: 1e-6 }).predict(at).get('a')!;
    const tight = fitRewardModel(logs, { ridge: 1e6 }).predict(at).get('a')!;
    expect(loose).toBeCloseTo(30, 3);
    expect(tight).toBeCloseTo(15, 1);
  });

  it('refuses features on some decisions only, naming the first without', () => {
    const x = Float64Array.of(1);
    expect(
      opeErrorOf(() => fitRewardModel([logged('a', 1, x), logged('a', 2), logged('b', 3, x)])),
    ).toMatchObject({ code: OpeErrorCode.INVALID_FEATURES, decisionIndex: 1 });
  });

  it('refuses feature vectors of different lengths or with NaN', () => {
    expect(
      opeErrorOf(() =>
        fitRewardModel([logged('a', 1, Float64Array.of(1)), logged('a', 1, Float64Array.of(1, 2))]),
      ),
    ).toMatchObject({ code: OpeErrorCode.INVALID_FEATURES, decisionIndex: 1 });
    expect(
      opeErrorOf(() =>
        fitRewardModel([logged('a', 1, Float64Array.of(1)), logged('a', 1, Float64Array.of(NaN))]),
      ),
    ).toMatchObject({ code: OpeErrorCode.INVALID_FEATURES, decisionIndex: 1 });
  });
});

describe('crossFitRewardModel', () => {
  const logs = [1, 2, 3, 4, 5, 6].map((r) => logged('a', r));

  it('gives every decision a prediction for every available action', () => {
    for (const d of crossFitRewardModel(logs)) expect([...d.rewardModel!.keys()]).toEqual(ACTIONS);
  });

  it('never lets a decision’s own reward shape its prediction', () => {
    const before = crossFitRewardModel(logs);
    const changed = [...logs];
    changed[0] = logged('a', 1000);
    const after = crossFitRewardModel(changed);
    // Decision 0 sits in fold 0; its prediction comes from fold 1 (decisions 1, 3, 5) only.
    expect(after[0]!.rewardModel!.get('a')).toBe(before[0]!.rewardModel!.get('a'));
    expect(after[0]!.rewardModel!.get('a')).toBeCloseTo((2 + 4 + 6) / 3, 12);
    expect(after[1]!.rewardModel!.get('a')).not.toBe(before[1]!.rewardModel!.get('a'));
  });

  it('keeps the caller’s own fields on each decision', () => {
    const tagged = logs.map((d, i) => ({ ...d, decisionId: `d-${i}` }));
    expect(crossFitRewardModel(tagged)[4]!.decisionId).toBe('d-4');
  });

  it('refuses fewer than two folds or more folds than decisions', () => {
    expect(opeErrorOf(() => crossFitRewardModel(logs, { folds: 1 }))).toMatchObject({
      code: OpeErrorCode.INVALID_OPTION,
    });
    expect(opeErrorOf(() => crossFitRewardModel(logs, { folds: 7 }))).toMatchObject({
      code: OpeErrorCode.INVALID_OPTION,
    });
  });
});
