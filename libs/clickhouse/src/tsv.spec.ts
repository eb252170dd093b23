import { tabSeparated, TsvEncodeError } from './tsv';

describe('tabSeparated', () => {
  it('writes one line per row with the fields in column order', () => {
    const rows = [
      { a: 'x', b: 1, c: null },
      { a: 'y', b: -2.5, c: 7 },
    ];
    expect(tabSeparated(rows, ['c', 'a', 'b'])).toBe('\\N\tx\t1\n7\ty\t-2.5\n');
  });

  it('escapes what would end a field or a row, and nothing else', () => {
    const rows = [{ s: 'a\\b\tc\nd\re\0f \'q\' "dq" ✓ 𝄞' }];
    expect(tabSeparated(rows, ['s'])).toBe('a\\\\b\\tc\\nd\\re\\0f \'q\' "dq" ✓ 𝄞\n');
  });

  it('quotes array elements the way ClickHouse writes arrays', () => {
    const rows = [{ k: ['plain', "it's", 'back\\slash', 'tab\there', 'line\nbreak'] }, { k: [] }];
    expect(tabSeparated(rows, ['k'])).toBe(
      "['plain','it\\'s','back\\\\slash','tab\\there','line\\nbreak']\n[]\n",
    );
  });

  it('writes numeric arrays as ClickHouse reads them', () => {
    expect(tabSeparated([{ v: [0.5, -2, 1e21, 1.5e-7] }], ['v'])).toBe('[0.5,-2,1e+21,1.5e-7]\n');
  });

  it('has nothing to write for no rows', () => {
    expect(tabSeparated([] as { a: string }[], ['a'])).toBe('');
  });

  it.each([
    [{ n: Number.NaN }],
    [{ n: Number.POSITIVE_INFINITY }],
    [{ n: undefined as unknown as string }],
    [{ n: { nested: 1 } as unknown as string }],
    [{ n: [Number.NaN] }],
    [{ n: [{}] as unknown as string[] }],
  ])('refuses a value with no TabSeparated form: %p', (row) => {
    expect(() => tabSeparated([row], ['n'])).toThrow(TsvEncodeError);
  });
});
