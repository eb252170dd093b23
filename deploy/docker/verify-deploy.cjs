#!/usr/bin/env node
// Build-time check of a `pnpm deploy` output (see Dockerfile): fails the image build, not
// the pod, when the service entry point, a workspace library's entry point or the proto
// files are missing. Usage: node deploy/docker/verify-deploy.cjs /out
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(process.argv[2] ?? '.');
const need = ['dist/main.js', 'proto/offerstream/v1/common.proto'];
const scope = path.join(root, 'node_modules', '@offerstream');
for (const name of fs.existsSync(scope) ? fs.readdirSync(scope) : []) {
  const dir = path.join(scope, name);
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  need.push(path.relative(root, path.join(dir, pkg.main ?? 'index.js')));
}
const missing = need.filter((f) => !fs.existsSync(path.join(root, f)));
if (missing.length > 0) {
  process.stderr.write(`incomplete deploy in ${root}; missing:\n  ${missing.join('\n  ')}\n`);
  process.exit(1);
}
process.stdout.write(`deploy in ${root} verified (${need.length} entry points)\n`);
