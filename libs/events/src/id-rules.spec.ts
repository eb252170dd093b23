import fc from 'fast-check';
import { idProblem, idProblemByRule, MAX_ID_BYTES } from './id-rules';

describe('idProblem', () => {
  it('accepts plain ids and names what is wrong with bad ones', () => {
    expect(idProblem('u-000001')).toBeUndefined();
    expect(idProblem('shop 1/cart:42')).toBeUndefined();
    expect(idProblem('kunde-müller')).toBeUndefined();
    expect(idProblem('x'.repeat(MAX_ID_BYTES))).toBeUndefined();
    expect(idProblem('x'.repeat(MAX_ID_BYTES + 1))).toBe(`is longer than ${MAX_ID_BYTES} bytes`);
    expect(idProblem('ü'.repeat(65))).toBe(`is longer than ${MAX_ID_BYTES} bytes`); // 130 bytes
    expect(idProblem('a\nb')).toBe('contains control or invalid characters');
    expect(idProblem('a\u2028b')).toBe('contains control or invalid characters');
    expect(idProblem('a\uD800')).toBe('contains control or invalid characters');
    expect(idProblem(' a')).toBe('has leading or trailing spaces');
    expect(idProblem('a ')).toBe('has leading or trailing spaces');
    expect(idProblem('a\u00a0')).toBe('has leading or trailing spaces');
  });

  it('gives the same answer as the rule on any string (the ASCII fast path changes nothing)', () => {
    const chars = fc.oneof(
      fc.constantFrom(' ', '\t', '\n', '\u007f', '\u00a0', '\u2028', '\uD800', '\uDC00', 'é', '€'),
      fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
      fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
    );
    fc.assert(
      fc.property(
        fc.array(chars, { maxLength: 140 }).map((a) => a.join('')),
        (value) => {
          expect(idProblem(value)).toBe(idProblemByRule(value));
        },
      ),
      { numRuns: 5000, seed: 42 },
    );
  });
});
