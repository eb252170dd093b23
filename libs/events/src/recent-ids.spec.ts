import { RecentIds } from './recent-ids';

describe('RecentIds', () => {
  it('forgets the oldest keys beyond its capacity', () => {
    const r = new RecentIds(3, 1_000_000);
    for (const k of ['a', 'b', 'c', 'd']) r.add(k, 0);
    expect(['a', 'b', 'c', 'd'].map((k) => r.has(k, 0))).toEqual([false, true, true, true]);
    expect(r.size).toBe(3);
  });

  it('keeps a key that was added again when its older slot is reused', () => {
    const r = new RecentIds(3, 1_000_000);
    r.add('a', 0);
    r.add('b', 0);
    r.add('a', 1); // re-seen: now the newest
    r.add('c', 2);
    r.add('d', 3); // reuses a's first slot (and then b's)
    expect(r.has('a', 3)).toBe(true);
    expect(r.has('b', 3)).toBe(false);
    expect(r.size).toBe(3);
  });

  it('treats keys older than the window as unseen', () => {
    const r = new RecentIds(10, 1000);
    r.add('a', 0);
    expect(r.has('a', 1000)).toBe(true);
    expect(r.has('a', 1001)).toBe(false);
  });

  it('stays bounded and correct through many times its capacity', () => {
    const r = new RecentIds(100_000, 1_000_000);
    for (let i = 0; i < 1_000_000; i++) r.add(`s\u0000e-${i}`, i);
    expect(r.size).toBe(100_000);
    expect(r.has('s\u0000e-999999', 999_999)).toBe(true);
    expect(r.has('s\u0000e-0', 999_999)).toBe(false);
  });
});
