// `npm pack` makes a clean package: its sources, its declarations (with the generated types
// they import), the README and package.json, and nothing else; unpacked, it imports.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

test('npm pack: only what a user needs, and it imports unpacked', async () => {
  const scratch = mkdtempSync(join(tmpdir(), 'chatrooms-pack-'));
  try {
    // The test command has built dist/ already (scripts/build.mjs, which prepack runs).
    const [packed] = JSON.parse(execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', scratch], { cwd: root, encoding: 'utf8' }));
    const files = packed.files.map((file) => file.path).sort();
    const sources = ['client.js', 'errors.js', 'inbox.js', 'index.js', 'live.js', 'socket.js'];
    const declarations = ['client.d.ts', 'errors.d.ts', 'inbox.d.ts', 'index.d.ts', 'live.d.ts', 'socket.d.ts',
      'generated/asyncapi.d.ts', 'generated/frames.d.ts', 'generated/openapi.d.ts'];
    assert.deepEqual(files, ['README.md', ...declarations.map((name) => `dist/${name}`), 'package.json', ...sources.map((name) => `src/${name}`)].sort());

    execFileSync('tar', ['-xzf', join(scratch, packed.filename), '-C', scratch]);
    const unpacked = join(scratch, 'package');
    const module = await import(pathToFileURL(join(unpacked, 'src/index.js')).href);
    assert.equal(typeof module.createClient, 'function');
    assert.equal(typeof module.ChatroomsError, 'function');
    // Every relative import of the declarations is there.
    for (const name of declarations) {
      const text = readFileSync(join(unpacked, 'dist', name), 'utf8');
      for (const match of text.matchAll(/from ["'](\.[^"']+)["']|import\(["'](\.[^"']+)["']\)/g)) {
        const target = match[1] ?? match[2];
        const path = join(dirname(join(unpacked, 'dist', name)), target.replace(/\.js$/, '.d.ts'));
        assert.ok(existsSync(path), `${name} imports ${target}, which the package lacks`);
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
});
