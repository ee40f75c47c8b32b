// Runs the package's tests (test/*.test.mjs, node's test runner) against one real `wrangler dev`
// of the service (tests/e2e/server.js: a fresh state, every migration, the built worker). The
// tests that restart a server start their own. Node 20 needs --experimental-websocket for its
// WebSocket (Node 22 has it already).
//
//   node test/run.mjs [files…]
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const { startServer } = createRequire(import.meta.url)('../../../tests/e2e/server.js');
const files = process.argv.slice(2).length > 0
  ? process.argv.slice(2)
  : readdirSync(here).filter((name) => name.endsWith('.test.mjs')).sort().map((name) => join(here, name));
const flags = typeof WebSocket === 'undefined' ? ['--experimental-websocket'] : [];

const server = await startServer();
let status = 1;
try {
  status = await new Promise((resolve) => {
    const child = spawn(process.execPath, [...flags, '--test', ...files], {
      stdio: 'inherit', env: { ...process.env, CHATROOMS_URL: server.base },
    });
    child.on('exit', (code) => resolve(code ?? 1));
  });
} finally {
  await server.stop();
}
process.exit(status);
