// Copies the package's sources into the web client (web/js/client/, never committed), which
// imports them as any front-end would import the package: the web client has no build step,
// and Workers Static Assets serve web/ as it is. With --types, the generated declarations go
// too (src/generated/, made by scripts/generate.mjs), for the web client's type check; web/'s
// .assetsignore keeps them from being served.
//
//   node clients/js/scripts/vendor.mjs [--types] <destination>
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const types = args.includes('--types');
const destination = resolve(args.filter((arg) => arg !== '--types')[0] ?? '');
if (!args.some((arg) => arg !== '--types')) {
  console.error('usage: vendor.mjs [--types] <destination>');
  process.exit(2);
}
const src = join(dirname(fileURLToPath(import.meta.url)), '../src');

/** The files to copy, by their path under src/. */
const wanted = readdirSync(src).filter((file) => file.endsWith('.js'));
if (types) {
  if (!existsSync(join(src, 'generated'))) throw new Error('src/generated/ is missing: run scripts/generate.mjs first');
  wanted.push(...readdirSync(join(src, 'generated')).map((file) => `generated/${file}`));
}
// Only what changed is written, and what is no longer wanted removed: `wrangler dev` serves
// this directory while the build runs, and reloads what it sees change.
mkdirSync(join(destination, 'generated'), { recursive: true });
for (const file of wanted) {
  const bytes = readFileSync(join(src, file));
  const target = join(destination, file);
  if (!existsSync(target) || !bytes.equals(readFileSync(target))) writeFileSync(target, bytes);
}
for (const file of [...readdirSync(destination), ...readdirSync(join(destination, 'generated')).map((name) => `generated/${name}`)]) {
  if (file !== 'generated' && !wanted.includes(file)) rmSync(join(destination, file), { force: true });
}
if (!types) rmSync(join(destination, 'generated'), { recursive: true, force: true });
