// The README's examples, run as they are: every ```js block of README.md, in order, as one
// module against the test's `wrangler dev` (its address in place of the README's
// http://127.0.0.1:8787). It must finish by itself (nothing left open after `stop()`), and
// print what the README says it does. (It runs with this test's own node flags: Node 20's
// --experimental-websocket.)
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';

import { base } from './helpers.mjs';

test('the README\'s examples run as they are and say what they say', async () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const blocks = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((match) => match[1]);
  assert.ok(blocks.length >= 5, `the README's examples (${blocks.length})`);
  const source = blocks.join('\n').replaceAll('http://127.0.0.1:8787', base());
  // Inside the package, so that `import … from 'chatrooms-client'` finds the package itself.
  const file = new URL(`./readme-${process.pid}.tmp.mjs`, import.meta.url);
  writeFileSync(file, source);
  try {
    const output = await new Promise((resolve, reject) => {
      execFile(process.execPath, [...process.execArgv, file.pathname], { timeout: 60_000 }, (error, stdout, stderr) => {
        if (error) reject(new Error(`${error.message}\n${stdout}\n${stderr}`));
        else resolve(stdout);
      });
    });
    assert.match(output, /^history: \[ 'Welcome!' \]$/m);
    assert.match(output, /^refused: 403 /m);
    assert.match(output, /^sent: \d+$/m);
    assert.match(output, /^file: notes$/m);
  } finally {
    rmSync(file, { force: true });
  }
});
