import { Writable } from 'node:stream';
import { createLogger, PinoNestLogger } from './index';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      cb();
    },
  });
  return { lines, destination };
}

describe('createLogger', () => {
  it('writes one JSON object a line with service, level label and time', () => {
    const { lines, destination } = capture();
    createLogger({ service: 'ingest', version: '1.2.3', destination }).info({ n: 1 }, 'hello');
    expect(lines[0]).toMatchObject({
      service: 'ingest',
      version: '1.2.3',
      level: 'info',
      n: 1,
      msg: 'hello',
    });
    expect(typeof lines[0]?.time).toBe('string');
  });

  it('redacts passwords wherever a config dump puts them', () => {
    const { lines, destination } = capture();
    createLogger({ service: 's', destination }).info({
      config: { CLICKHOUSE_PASSWORD: 'pw' },
      db: { password: 'x' },
    });
    expect(JSON.stringify(lines[0])).not.toMatch(/"pw"|"x"/);
  });

  it('respects the level', () => {
    const { lines, destination } = capture();
    const log = createLogger({ service: 's', level: 'warn', destination });
    log.info('dropped');
    log.warn('kept');
    expect(lines.map((l) => l.msg)).toEqual(['kept']);
  });
});

describe('PinoNestLogger', () => {
  it('keeps the Nest context and the error', () => {
    const { lines, destination } = capture();
    const nest = new PinoNestLogger(createLogger({ service: 's', destination }));
    nest.log('booted', 'NestApplication');
    nest.error(new Error('boom'), 'Ctx');
    expect(lines[0]).toMatchObject({ msg: 'booted', context: 'NestApplication', level: 'info' });
    expect(lines[1]).toMatchObject({ msg: 'boom', context: 'Ctx', level: 'error' });
  });
});
