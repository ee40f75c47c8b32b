// What the package's tests share: the `wrangler dev` they talk to (test/run.mjs starts one and
// names it in CHATROOMS_URL; a test that restarts its server starts its own), people signed up
// through the package, sockets a test can cut, and waiting for what must come.
import { createRequire } from 'node:module';

import { createClient } from 'chatrooms-client';

const { startServer } = createRequire(import.meta.url)('../../../tests/e2e/server.js');
export { startServer };

/** The shared server's address. */
export function base() {
  const url = process.env.CHATROOMS_URL;
  if (!url) throw new Error('CHATROOMS_URL is not set: run the tests with `node test/run.mjs`');
  return url;
}

let counter = 0;
/** A name no other test uses: handles are unique. */
export const unique = (prefix) => `${prefix}${process.pid % 10000}x${Date.now() % 1e6}x${(counter += 1)}`.slice(0, 32);

/**
 * A client of its own, signed up as a new person.
 * @param {string} name
 * @param {import('chatrooms-client').ClientOptions} [options]
 */
export async function person(name, options = {}) {
  const client = createClient({ baseUrl: base(), ...options });
  const handle = unique(name);
  const created = await client.signUp({ username: name, password: 'correct horse battery', handle });
  return { client, handle, id: created.user_id, key: created.key };
}

/**
 * Waits until `check()` is true, or fails with `what` after a minute (a hang guard, never what
 * a test asserts: machines are faster and slower).
 * @param {() => unknown} check
 * @param {string} what
 */
export async function until(check, what) {
  const patience = Date.now() + 60_000;
  while (!(await check())) {
    if (Date.now() > patience) throw new Error(`waited a minute for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * A WebSocket constructor that keeps every socket it made, so that a test can cut one as a
 * network would (the package did not ask for it), and can see what the package sent.
 */
export function cuttableSockets() {
  /** @type {WebSocket[]} */
  const made = [];
  /** @type {string[]} */
  const sent = [];
  class Socket extends WebSocket {
    /** @param {string} url */
    constructor(url) {
      super(url);
      made.push(this);
    }

    /** @param {string} data */
    send(data) {
      sent.push(data);
      super.send(data);
    }
  }
  return {
    Socket,
    made,
    sent,
    /** Cuts the newest open socket. */
    cut() {
      const open = made.filter((socket) => socket.readyState === WebSocket.OPEN).at(-1);
      if (!open) throw new Error('no open socket to cut');
      open.close(4999, 'cut by the test');
      return open;
    },
  };
}

/**
 * Collects a live room's events.
 * @param {import('chatrooms-client').RoomLive} live
 */
export function record(live) {
  /** @type {any[]} */
  const events = [];
  let connected = 0;
  /** @type {boolean[]} */
  const resumes = [];
  live.on('event', (event) => events.push(event));
  live.on('connected', ({ resumed }) => {
    connected += 1;
    resumes.push(resumed);
  });
  return {
    events,
    resumes,
    get connections() {
      return connected;
    },
    texts: () => events.filter((event) => event.type === 'message').map((event) => event.message.text),
  };
}
