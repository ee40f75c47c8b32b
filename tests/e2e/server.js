// Starts a real `wrangler dev` for the browser tests: a free port, a fresh state directory with
// every migration applied, the built worker (build/ is built when missing), and the web client
// from web/. The same settings as the Rust integration tests: PBKDF2 at 1000 iterations and no
// sign-up cap (every test user comes from 127.0.0.1).
//
// Run alone to poke at it: `node tests/e2e/server.js` prints the URL and serves until Ctrl+C.

const { execFileSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '../..');
const WRANGLER = path.join(ROOT, 'node_modules/.bin/wrangler');
const ENV = { ...process.env, CHATROOMS_SKIP_BUILD: '1', WRANGLER_SEND_METRICS: 'false' };

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** What a start that found its port taken throws. */
class PortTaken extends Error {}

async function waitUntilUp(base, child, log, rebuildsBefore = 0, logBefore = 0, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    if (fs.readFileSync(log, 'utf8').slice(logBefore).includes('Address already in use')) {
      throw new PortTaken(`workerd found ${base}'s port taken`);
    }
    try {
      // wrangler's watcher rebuilds and reloads the worker once when it is ready, which can be
      // after the first answer: up means that reload has happened, and the worker answers JSON.
      const rebuilt = rebuilds(log) > rebuildsBefore;
      const response = rebuilt && (await fetch(`${base}/user/00000000-0000-4000-8000-000000000000`));
      if (response && response.headers.get('content-type')?.startsWith('application/json')) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`wrangler dev did not answer on ${base}:\n${fs.readFileSync(log, 'utf8').slice(-4000)}`);
}

/** The watcher's rebuilds so far, by the log (a restart appends to the same log). */
const rebuilds = (log) => (fs.readFileSync(log, 'utf8').match(/changed, restarting build/g) ?? []).length;

/**
 * A `wrangler dev` of its own: `{ base, state, stop(), halt(), start() }`. `halt()` stops it
 * and `start()` starts it again on the same port and state directory (D1, KV and the rooms'
 * objects kept), as a deploy or a crash does; `stop()` also removes the state.
 */
async function startServer() {
  if (!fs.existsSync(path.join(ROOT, 'build/index.js'))) {
    console.log('build/ is missing: building the worker (scripts/build.sh)');
    execFileSync('sh', ['scripts/build.sh'], { cwd: ROOT, stdio: 'inherit', env: { ...process.env, CHATROOMS_SKIP_BUILD: '' } });
  }
  const state = fs.mkdtempSync(path.join(os.tmpdir(), 'chatrooms-e2e-'));
  const log = path.join(state, 'wrangler.log');
  fs.writeFileSync(log, '');
  execFileSync(WRANGLER, ['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', state], {
    cwd: ROOT, env: { ...ENV, CI: '1' }, stdio: ['ignore', 'ignore', 'pipe'],
  });
  let port = await freePort();
  let base = `http://127.0.0.1:${port}`;
  let child = null;

  // The watcher's first rebuild restarts workerd on the same port; on this kind of machine the
  // old one now and then still holds it, and the new one dies with "Address already in use"
  // (workerd's doing, not the worker's). Such a start is tried again, up to three times in all:
  // on another port the first time, on the same one (once free) after a `halt()`.
  let started = false;
  async function start() {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await startOnce();
        started = true;
        return;
      } catch (error) {
        if (!(error instanceof PortTaken) || attempt === 3) throw error;
        await halt();
        if (!started) {
          port = await freePort();
          base = `http://127.0.0.1:${port}`;
        }
      }
    }
  }

  async function startOnce() {
    const inspector = await freePort();
    const args = [
      'dev', '--ip', '127.0.0.1', '--port', port, '--inspector-port', inspector, '--persist-to', state,
      '--var', 'PBKDF2_ITERATIONS:1000', '--var', 'SIGNUPS_PER_HOUR:off',
      '--var', 'ADDRESS_KEY:e2e-address-key', '--var', 'ADDRESS_RATE_LIMIT:off', '--show-interactive-dev-session=false',
      // The tests post a history of 120 messages as one person within seconds: no write ceiling.
      '--var', 'POSTS_PER_MINUTE:off', '--var', 'ROOMS_PER_DAY:off',
    ].map(String);
    // wrangler runs under a shell in its own process group. The shell waits on its stdin, our
    // pipe: when this process ends, however it ends, the pipe closes and the shell kills the
    // whole group (wrangler and workerd), so no server outlives the tests.
    const script = '"$0" "$@" </dev/null >>"$LOG" 2>&1 &\ncat >/dev/null\nkill -TERM 0';
    const before = rebuilds(log);
    const logBefore = fs.readFileSync(log, 'utf8').length;
    child = spawn('sh', ['-c', script, WRANGLER, ...args], {
      cwd: ROOT, env: { ...ENV, LOG: log }, stdio: ['pipe', 'ignore', 'inherit'], detached: true,
    });
    await waitUntilUp(base, child, log, before, logBefore);
  }

  async function halt() {
    const running = child;
    if (!running) return;
    child = null;
    const exited = running.exitCode !== null ? Promise.resolve() : new Promise((resolve) => running.once('exit', resolve));
    running.stdin.end();
    await exited;
    // The group's kill reaches workerd too; wait until the port is free again.
    for (let tries = 0; tries < 100 && (await listening(port)); tries += 1) await new Promise((resolve) => setTimeout(resolve, 100));
  }

  const stop = async () => {
    await halt();
    fs.rmSync(state, { recursive: true, force: true });
  };
  try {
    await start();
  } catch (error) {
    await stop();
    throw error;
  }
  return { base, state, stop, halt, start };
}

/** Whether something still accepts connections on the port. */
function listening(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

module.exports = { startServer };

if (require.main === module) {
  startServer().then(({ base, stop }) => {
    console.log(base);
    const quit = () => stop().then(() => process.exit(0));
    process.on('SIGINT', quit);
    process.on('SIGTERM', quit);
  }, (error) => {
    console.error(error.message);
    process.exit(1);
  });
}
