#!/usr/bin/env node
// Refreshes the third-party files Premiere serves (assets/vendor/) from the npm
// registry, at the versions pinned in assets/vendor.json.
//
//   node tools/assets/refresh.mjs          fetch every pinned package with `npm pack`,
//                                          check its tarball against the pinned
//                                          integrity and npm's dist.integrity, copy
//                                          the listed files, write SHA256SUMS
//   node tools/assets/refresh.mjs --pin    the same, but a package whose pinned
//                                          integrity is empty (a version bump) takes
//                                          the registry's and is written back
//   node tools/assets/refresh.mjs --check  offline: the committed files are exactly
//                                          the pinned ones, byte for byte (SHA256SUMS)
//
// Building and running Premiere never needs the network: the files are committed and
// embedded in the binary (build.rs).

import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const manifestPath = path.join(root, 'assets/vendor.json');
const vendorDir = path.join(root, 'assets/vendor');
const sumsPath = path.join(vendorDir, 'SHA256SUMS');

const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
const mode = process.argv[2] ?? 'refresh';
if (!['refresh', '--pin', '--check'].includes(mode)) {
  console.error(`unknown option ${mode}; use --pin or --check`);
  process.exit(2);
}

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');
const sri = (bytes) => `sha512-${createHash('sha512').update(bytes).digest('base64')}`;
const dirOf = (pkg) => `${pkg.name}@${pkg.version}`;

function fail(message) {
  console.error(`error: ${message}`);
  process.exit(1);
}

/** Every pinned file: its path under assets/vendor/. */
function expectedFiles() {
  return manifest.packages.flatMap((pkg) =>
    Object.values(pkg.files).map((name) => `${dirOf(pkg)}/${name}`),
  );
}

function check() {
  if (!fs.existsSync(sumsPath)) fail('assets/vendor/SHA256SUMS is missing; run refresh');
  const sums = new Map(
    fs
      .readFileSync(sumsPath, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [hash, file] = line.split(/ {2}/);
        return [file, hash];
      }),
  );
  const expected = expectedFiles().sort();
  const listed = [...sums.keys()].sort();
  if (JSON.stringify(expected) !== JSON.stringify(listed)) {
    fail(`SHA256SUMS lists ${listed.join(', ')}; vendor.json pins ${expected.join(', ')}`);
  }
  const present = fs
    .readdirSync(vendorDir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(vendorDir, path.join(e.parentPath ?? e.path, e.name)))
    .filter((f) => f !== 'SHA256SUMS')
    .sort();
  const extra = present.filter((f) => !sums.has(f));
  if (extra.length) fail(`files not pinned in vendor.json: ${extra.join(', ')}`);
  for (const [file, hash] of sums) {
    const full = path.join(vendorDir, file);
    if (!fs.existsSync(full)) fail(`${file} is missing; run refresh`);
    if (sha256(fs.readFileSync(full)) !== hash) fail(`${file} differs from its pinned copy`);
  }
  console.log(`assets/vendor: ${sums.size} files match vendor.json`);
}

function npm(args, cwd) {
  return execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
}

function refresh(pin) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'premiere-assets-'));
  const lines = [];
  try {
    for (const pkg of manifest.packages) {
      const spec = `${pkg.name}@${pkg.version}`;
      const registry = JSON.parse(npm(['view', spec, 'dist.integrity', '--json'], work));
      if (!pkg.integrity) {
        if (!pin) fail(`${spec} has no pinned integrity; run with --pin to take ${registry}`);
        pkg.integrity = registry;
        console.log(`${spec}: pinned ${registry}`);
      }
      if (registry !== pkg.integrity) {
        fail(`${spec}: the registry says ${registry}, vendor.json pins ${pkg.integrity}`);
      }
      const [packed] = JSON.parse(npm(['pack', spec, '--json', '--pack-destination', work], work));
      const tarball = fs.readFileSync(path.join(work, packed.filename));
      if (sri(tarball) !== pkg.integrity) fail(`${spec}: the tarball does not match its integrity`);
      const unpacked = path.join(work, dirOf(pkg));
      fs.mkdirSync(unpacked);
      execFileSync('tar', ['xzf', path.join(work, packed.filename), '-C', unpacked]);
      // Replace every copied version of this package with the pinned one.
      for (const entry of fs.readdirSync(vendorDir)) {
        if (entry.startsWith(`${pkg.name}@`)) {
          fs.rmSync(path.join(vendorDir, entry), { recursive: true });
        }
      }
      const target = path.join(vendorDir, dirOf(pkg));
      fs.mkdirSync(target, { recursive: true });
      for (const [from, name] of Object.entries(pkg.files)) {
        const source = path.join(unpacked, from);
        if (!fs.existsSync(source)) fail(`${spec} has no ${from}; update its files in vendor.json`);
        const bytes = fs.readFileSync(source);
        fs.writeFileSync(path.join(target, name), bytes);
        lines.push(`${sha256(bytes)}  ${dirOf(pkg)}/${name}`);
      }
      console.log(`${spec}: ${Object.keys(pkg.files).length} files`);
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  fs.writeFileSync(sumsPath, `${lines.sort((a, b) => a.slice(66).localeCompare(b.slice(66))).join('\n')}\n`);
  if (pin) fs.writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  check();
}

if (mode === '--check') check();
else refresh(mode === '--pin');
