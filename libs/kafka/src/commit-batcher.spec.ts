import { CommitBatcher, type OffsetToCommit } from './commit-batcher';

function manual() {
  const sent: OffsetToCommit[][] = [];
  let tick: (() => void) | undefined;
  let fail: Error | undefined;
  const batcher = new CommitBatcher(
    async (offsets) => {
      sent.push(offsets);
      if (fail !== undefined) throw fail;
    },
    (fn) => {
      tick = fn;
    },
  );
  const runTick = async () => {
    const fn = tick;
    tick = undefined;
    fn?.();
    await new Promise((r) => setImmediate(r));
  };
  return { batcher, sent, runTick, failWith: (e: Error | undefined) => (fail = e) };
}

describe('CommitBatcher', () => {
  it('sends the commits asked for in one turn as one request, and settles each caller with it', async () => {
    const { batcher, sent, runTick } = manual();
    let settled = 0;
    const ps = [0, 1, 2].map((p) =>
      batcher.commit({ topic: 't', partition: p, offset: String(10 + p) }).then(() => settled++),
    );
    expect(sent).toHaveLength(0);
    await runTick();
    await Promise.all(ps);
    expect(sent).toEqual([
      [
        { topic: 't', partition: 0, offset: '10' },
        { topic: 't', partition: 1, offset: '11' },
        { topic: 't', partition: 2, offset: '12' },
      ],
    ]);
    expect(settled).toBe(3);
  });

  it('commits the highest offset when a partition asks twice in one turn', async () => {
    const { batcher, sent, runTick } = manual();
    const a = batcher.commit({ topic: 't', partition: 0, offset: '900' });
    const b = batcher.commit({ topic: 't', partition: 0, offset: '1000' });
    const c = batcher.commit({ topic: 'u', partition: 0, offset: '5' });
    await runTick();
    await Promise.all([a, b, c]);
    expect(sent).toEqual([
      [
        { topic: 't', partition: 0, offset: '1000' },
        { topic: 'u', partition: 0, offset: '5' },
      ],
    ]);
  });

  it('rejects every caller of a failed request, and the next turn sends anew', async () => {
    const { batcher, sent, runTick, failWith } = manual();
    failWith(new Error('coordinator moved'));
    const a = batcher.commit({ topic: 't', partition: 0, offset: '1' });
    const b = batcher.commit({ topic: 't', partition: 1, offset: '2' });
    await runTick();
    await expect(a).rejects.toThrow('coordinator moved');
    await expect(b).rejects.toThrow('coordinator moved');
    failWith(undefined);
    const c = batcher.commit({ topic: 't', partition: 0, offset: '3' });
    await runTick();
    await c;
    expect(sent).toHaveLength(2);
    expect(sent[1]).toEqual([{ topic: 't', partition: 0, offset: '3' }]);
  });
});
