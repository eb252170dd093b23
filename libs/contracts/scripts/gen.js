#!/usr/bin/env node
// Generates src/gen from ../../proto with buf + ts-proto (no system protoc needed).
// Skips the work when the protos and this config have not changed since the last run.
const { execFileSync } = require('node:child_process');
const { createHash } = require('node:crypto');
const {
  existsSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} = require('node:fs');
const { join } = require('node:path');

const pkg = join(__dirname, '..');
const protoDir = join(pkg, '..', '..', 'proto');
const out = join(pkg, 'src', 'gen');
const stamp = join(out, '.stamp');

function files(dir) {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}
const hash = createHash('sha256');
for (const f of [...files(protoDir), join(pkg, 'buf.gen.yaml'), __filename].sort()) {
  hash.update(f).update(readFileSync(f));
}
const digest = hash.digest('hex');
if (existsSync(stamp) && readFileSync(stamp, 'utf8') === digest) {
  process.stdout.write('contracts: generated code is up to date\n');
  process.exit(0);
}
rmSync(out, { recursive: true, force: true });
execFileSync(
  join(pkg, 'node_modules', '.bin', 'buf'),
  ['generate', protoDir, '--template', 'buf.gen.yaml'],
  {
    cwd: pkg,
    stdio: 'inherit',
  },
);
writeFileSync(stamp, digest);
process.stdout.write(`contracts: generated ${files(out).length - 1} files from ${protoDir}\n`);
