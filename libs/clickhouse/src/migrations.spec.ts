import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadMigrations, MigrationError, splitStatements } from './migrations';

describe('splitStatements', () => {
  it('splits at semicolons outside quotes and comments', () => {
    const text = `-- a comment; with a semicolon
CREATE TABLE a (s String DEFAULT 'x;y') ENGINE = Memory;
/* block; comment */ INSERT INTO a VALUES ('it\\'s;');
SELECT 1`;
    expect(splitStatements(text)).toEqual([
      "CREATE TABLE a (s String DEFAULT 'x;y') ENGINE = Memory",
      "INSERT INTO a VALUES ('it\\'s;')",
      'SELECT 1',
    ]);
  });

  it('refuses an unterminated quote', () => {
    expect(() => splitStatements("SELECT 'oops")).toThrow(MigrationError);
  });
});

describe('loadMigrations', () => {
  async function dirWith(files: Record<string, string>): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'mig-'));
    for (const [f, t] of Object.entries(files)) await writeFile(join(dir, f), t);
    return dir;
  }

  it('orders files by number and checksums their text', async () => {
    const dir = await dirWith({ '0002_b.sql': 'SELECT 2;', '0001_a.sql': 'SELECT 1;' });
    const ms = await loadMigrations(dir);
    expect(ms.map((m) => [m.version, m.name])).toEqual([
      [1, 'a'],
      [2, 'b'],
    ]);
    expect(ms[0]?.checksum).toMatch(/^[0-9a-f]{64}$/);
    expect(ms[0]?.checksum).not.toBe(ms[1]?.checksum);
  });

  it('refuses gaps and badly named files', async () => {
    await expect(
      loadMigrations(await dirWith({ '0001_a.sql': '', '0003_c.sql': '' })),
    ).rejects.toThrow(/without gaps/);
    await expect(loadMigrations(await dirWith({ '1_a.sql': '' }))).rejects.toThrow(
      /NNNN_snake_case/,
    );
  });
});
