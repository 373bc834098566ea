#!/usr/bin/env node
// Prints the node_modules paths `make install` copies: every package in package-lock.json that is
// not dev-only and is present on disk. Reads the lock file instead of asking npm, so installing
// needs neither npm nor the network (and works under sudo, where npm is often not on PATH).
'use strict';
const fs = require('fs');
const path = require('path');

const root = process.argv[2] || process.cwd();
const lock = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8'));
if (!lock.packages) {
  process.stderr.write('package-lock.json has no "packages" (lockfileVersion 2 or 3 needed)\n');
  process.exit(1);
}
for (const [key, meta] of Object.entries(lock.packages)) {
  if (key === '' || meta.dev || meta.link) continue;
  if (!fs.existsSync(path.join(root, key, 'package.json'))) {
    if (meta.optional || meta.devOptional) continue;
    process.stderr.write(`missing ${key}: run npm ci first\n`);
    process.exit(1);
  }
  process.stdout.write(key + '\n');
}
