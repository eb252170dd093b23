import fc from 'fast-check';
import { ident, joinSql, literal, sql, SqlBindError, SqlFragment } from './sql';

/** A reference parser for ClickHouse single-quoted literals, to check the escaping by property. */
function parseQuoted(text: string): { value: string; rest: string } {
  expect(text[0]).toBe("'");
  let i = 1;
  let value = '';
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === "'") return { value, rest: text.slice(i + 1) };
    if (ch === '\\') {
      const n = text[i + 1]!;
      if (n === 'x') {
        value += String.fromCharCode(parseInt(text.slice(i + 2, i + 4), 16));
        i += 4;
        continue;
      }
      value += n;
      i += 2;
      continue;
    }
    value += ch;
    i += 1;
  }
  throw new Error('unterminated literal');
}

describe('literal', () => {
  it('renders scalars', () => {
    expect(literal(42).text).toBe('42');
    expect(literal(-1.5).text).toBe('(-1.5)');
    expect(literal(-0).text).toBe('0');
    expect(literal(5e-324).text).toBe('(2.220446049250313e-16 * 2.2250738585072014e-308)');
    expect(2.220446049250313e-16 * 2.2250738585072014e-308).toBe(5e-324);
    expect(literal(12345678901234567890n).text).toBe('12345678901234567890');
    expect(literal(true).text).toBe('1');
    expect(literal(null).text).toBe('NULL');
    expect(literal(new Date(Date.UTC(2026, 0, 2, 3, 4, 5))).text).toBe('toDateTime(1767323045)');
    expect(literal(['a', 1, null]).text).toBe("['a', 1, NULL]");
  });

  it('escapes quotes, backslashes and control characters', () => {
    expect(literal("it's").text).toBe("'it\\'s'");
    expect(literal('a\\b').text).toBe("'a\\\\b'");
    expect(literal('nul\u0000tab\t').text).toBe("'nul\\x00tab\\x09'");
    expect(literal("'; DROP TABLE events; --").text).toBe("'\\'; DROP TABLE events; --'");
  });

  it('refuses values it cannot store faithfully', () => {
    expect(() => literal(NaN)).toThrow(SqlBindError);
    expect(() => literal(Infinity)).toThrow(SqlBindError);
    expect(() => literal('\uD800x')).toThrow(/surrogate/);
    expect(() => literal(new Date(1500))).toThrow(/sub-second/);
    expect(() => literal(undefined as unknown as null)).toThrow(SqlBindError);
  });

  it('always yields exactly one literal that decodes back to the input (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme-composite', maxLength: 64 }),
        fc.string({ unit: 'binary', maxLength: 64 }),
        (a, b) => {
          for (const s of [a, b]) {
            const { value, rest } = parseQuoted(literal(s).text);
            expect(rest).toBe('');
            expect(value).toBe(s);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('never lets an unescaped quote or a raw control character through (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 128 }), (s) => {
        const body = literal(s).text.slice(1, -1);
        // every quote in the body is preceded by an odd number of backslashes
        for (let i = 0; i < body.length; i++) {
          if (body[i] === "'") {
            let k = i - 1;
            let n = 0;
            while (k >= 0 && body[k] === '\\') {
              n++;
              k--;
            }
            expect(n % 2).toBe(1);
          }
        }
        expect(body).not.toMatch(/[\x00-\x1f\x7f]/);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('ident', () => {
  it('back-quotes plain identifiers and refuses anything else', () => {
    expect(ident('events_2026').text).toBe('`events_2026`');
    for (const bad of ['', '1abc', 'a b', 'a`b', 'x;DROP', 'db.table', 'a'.repeat(129)]) {
      expect(() => ident(bad)).toThrow(SqlBindError);
    }
  });
});

describe('sql', () => {
  it('inlines fragments and binds every other value', () => {
    const q = sql`SELECT ${joinSql([ident('a'), ident('b')])} FROM ${ident('t')} WHERE a = ${"x'y"} AND b IN ${[1, 2]}`;
    expect(q).toBeInstanceOf(SqlFragment);
    expect(q.text).toBe("SELECT `a`, `b` FROM `t` WHERE a = 'x\\'y' AND b IN [1, 2]");
  });
});
