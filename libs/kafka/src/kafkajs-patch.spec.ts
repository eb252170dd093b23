/**
 * patches/kafkajs@2.2.4.patch changes how kafkajs encodes produced records (buffers not
 * zero-filled and sized to the record, varints written in place, small varlongs without Long
 * arithmetic). The bytes on the wire must stay exactly what the protocol says: these tests
 * check the patched encoder against an independent zigzag/LEB128 reference and round-trip
 * records through kafkajs's own decoder. Produce/consume against the real broker is covered by
 * every integration test.
 */
import fc from 'fast-check';

interface EncoderLike {
  writeVarInt(v: number): EncoderLike;
  writeUVarInt(v: number): EncoderLike;
  writeVarLong(v: number | bigint | string): EncoderLike;
  writeInt8(v: number): EncoderLike;
  readonly buffer: Buffer;
}
interface DecoderLike {
  readInt8(): number;
}
/* eslint-disable @typescript-eslint/no-require-imports -- kafkajs's internals have no types */
const Encoder = require('kafkajs/src/protocol/encoder') as {
  new (size?: number): EncoderLike;
  sizeOfVarLong(v: number | string): number;
};
const Decoder = require('kafkajs/src/protocol/decoder') as new (buf: Buffer) => DecoderLike;
const Record = require('kafkajs/src/protocol/recordBatch/record/v0') as (r: {
  offsetDelta?: number;
  timestampDelta?: number;
  key: Buffer | string | null;
  value: Buffer | string | null;
  headers?: Record<string, string | Buffer | (string | Buffer)[]>;
}) => EncoderLike;
const decodeRecord = require('kafkajs/src/protocol/recordBatch/record/v0/decoder') as (
  d: DecoderLike,
  ctx: { firstOffset: string; firstTimestamp: string; magicByte: number },
) => {
  key: Buffer | null;
  value: Buffer | null;
  offset: string;
  timestamp: string;
  headers: Record<string, Buffer | Buffer[]>;
};
/* eslint-enable @typescript-eslint/no-require-imports */

/** Unsigned LEB128 of a non-negative bigint. */
function leb128(u: bigint): number[] {
  const out: number[] = [];
  do {
    let byte = Number(u & 0x7fn);
    u >>= 7n;
    if (u !== 0n) byte |= 0x80;
    out.push(byte);
  } while (u !== 0n);
  return out;
}
const zigzag = (v: bigint, bits: bigint) => (v << 1n) ^ (v >> (bits - 1n));
const unsigned = (v: bigint, bits: bigint) => BigInt.asUintN(Number(bits), v);

function bytesOf(write: (e: EncoderLike) => void, initialSize?: number): number[] {
  const e = new Encoder(initialSize);
  write(e);
  return [...e.buffer];
}

describe('patched kafkajs encoder', () => {
  const int32 = fc.oneof(
    fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
    fc.constantFrom(0, -1, 1, 63, 64, -64, -65, 127, 128, 2 ** 31 - 1, -(2 ** 31)),
  );

  it('writes varints as zigzag LEB128', () => {
    fc.assert(
      fc.property(int32, (v) => {
        expect(bytesOf((e) => e.writeVarInt(v))).toEqual(
          leb128(unsigned(zigzag(BigInt(v), 32n), 32n)),
        );
      }),
    );
  });

  it('writes unsigned varints as LEB128 of the value as uint32', () => {
    fc.assert(
      fc.property(int32, (v) => {
        expect(bytesOf((e) => e.writeUVarInt(v))).toEqual(leb128(unsigned(BigInt(v), 32n)));
      }),
    );
  });

  it('writes and sizes varlongs as 64-bit zigzag LEB128, on the small-number path and off it', () => {
    const int64 = fc.oneof(
      fc.integer({ min: -(2 ** 30) - 5, max: 2 ** 30 + 5 }),
      fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
      fc.constantFrom(0, -1, 2 ** 30 - 1, -(2 ** 30), 2 ** 30, -(2 ** 30) - 1, 2 ** 53 - 1),
    );
    fc.assert(
      fc.property(int64, (v) => {
        const arg = typeof v === 'bigint' ? v.toString() : v;
        const expected = leb128(unsigned(zigzag(BigInt(v), 64n), 64n));
        expect(bytesOf((e) => e.writeVarLong(arg))).toEqual(expected);
        expect(Encoder.sizeOfVarLong(arg)).toBe(expected.length);
      }),
    );
  });

  it('grows a too-small buffer without losing what was written', () => {
    const values = Array.from({ length: 200 }, (_, i) => ((i * 7919) ** 2 % 2 ** 31) - 2 ** 30);
    const expected = values.flatMap((v) => leb128(unsigned(zigzag(BigInt(v), 32n), 32n)));
    expect(
      bytesOf((e) => {
        for (const v of values) e.writeVarInt(v);
      }, 1),
    ).toEqual(expected);
  });

  it('round-trips records (keys, values, headers, sizes across the growth points) through its decoder', () => {
    const bytes = fc.uint8Array({ maxLength: 1500 }).map((a) => Buffer.from(a));
    fc.assert(
      fc.property(
        fc.option(bytes, { nil: null }),
        fc.option(bytes, { nil: null }),
        fc.dictionary(
          // (kafkajs's decoder folds headers into a plain object: Object.prototype's names
          // would read as already present there, a decoder quirk outside the patch)
          fc.string({ minLength: 1, maxLength: 40 }).filter((k) => !(k in Object.prototype)),
          fc.oneof(fc.string({ maxLength: 600 }), bytes),
          { maxKeys: 4 },
        ),
        fc.integer({ min: 0, max: 100_000 }),
        fc.integer({ min: -(2 ** 31), max: 2 ** 40 }),
        (key, value, headers, offsetDelta, timestampDelta) => {
          const encoded = Record({ key, value, headers, offsetDelta, timestampDelta }).buffer;
          const d = new Decoder(encoded) as DecoderLike & { readVarInt(): number };
          const length = d.readVarInt();
          const r = decodeRecord(d, { firstOffset: '0', firstTimestamp: '0', magicByte: 2 });
          expect(lenOfVarInt(length) + length).toBe(encoded.length);
          expect(r.key === null ? null : Buffer.from(r.key)).toEqual(key);
          expect(r.value === null ? null : Buffer.from(r.value)).toEqual(value);
          expect(r.offset).toBe(String(offsetDelta));
          expect(r.timestamp).toBe(String(timestampDelta));
          expect(Object.keys(r.headers).sort()).toEqual(Object.keys(headers).sort());
          for (const [k, v] of Object.entries(headers))
            expect(Buffer.from(r.headers[k] as Buffer)).toEqual(Buffer.from(v));
        },
      ),
    );
  });
});

function lenOfVarInt(n: number): number {
  return leb128(unsigned(zigzag(BigInt(n), 32n), 32n)).length;
}
