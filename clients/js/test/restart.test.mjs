// The service restarted under a live room (its `wrangler dev` stopped and started again on the
// same port and state, as a deploy or a crash does): the room resumes with nothing missed or
// doubled, and what was sent while it was down arrives exactly once. A server of its own.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { createClient } from 'chatrooms-client';

import { record, startServer, unique, until } from './helpers.mjs';

/** @type {{ base: string, halt(): Promise<void>, start(): Promise<void>, stop(): Promise<void> }} */
let server;
before(async () => { server = await startServer(); });
after(async () => { await server?.stop(); });

/** @param {string} name */
async function person(name) {
  const client = createClient({ baseUrl: server.base });
  const created = await client.signUp({ username: name, password: 'correct horse battery', handle: unique(name) });
  return { client, id: created.user_id };
}

test('a restart mid-stream: the room resumes, every message once and in order; sends made while it was down arrive once', async () => {
  const [ana, bob] = await Promise.all([person('ana'), person('bob')]);
  const { room_id: roomId } = await ana.client.createRoom({ name: unique('restart'), open: true });
  await bob.client.room(roomId).join();
  const live = ana.client.room(roomId).live();
  const seen = record(live);
  /** @type {boolean[]} */
  const disconnects = [];
  live.on('disconnected', ({ fallback }) => disconnects.push(fallback));
  await until(() => live.live, 'the first connection');

  for (let index = 0; index < 5; index += 1) await bob.client.room(roomId).post(`before ${index}`);
  await until(() => seen.texts().length === 5, 'five messages');

  await server.halt();
  await until(() => !live.live, 'the socket to drop');
  // Sent while nothing answers: they wait for the next socket.
  const offline = ['offline 0', 'offline 1', 'offline 2'].map((text) => live.send(text));
  assert.equal(live.unsent, 3);
  await server.start();

  for (let index = 0; index < 5; index += 1) await bob.client.room(roomId).post(`after ${index}`);
  const sent = await Promise.all(offline);
  assert.deepEqual(sent.map((message) => message.text), ['offline 0', 'offline 1', 'offline 2']);
  await until(() => seen.texts().length >= 13, 'thirteen messages');
  const end = await bob.client.room(roomId).post('the end');
  await until(() => seen.texts().includes('the end'), 'the last one');

  const texts = seen.texts();
  assert.equal(texts.length, 14, `each once: ${texts}`);
  assert.deepEqual(texts.slice(0, 5), ['before 0', 'before 1', 'before 2', 'before 3', 'before 4']);
  assert.deepEqual(texts.filter((text) => text.startsWith('after')), ['after 0', 'after 1', 'after 2', 'after 3', 'after 4']);
  assert.deepEqual(texts.filter((text) => text.startsWith('offline')), ['offline 0', 'offline 1', 'offline 2']);
  const seqs = seen.events.filter((event) => typeof event.seq === 'number').map((event) => event.seq);
  assert.deepEqual(seqs, Array.from({ length: seqs.length }, (_, index) => seqs[0] + index), 'gap-free');
  assert.equal(live.seq, end.seq);
  assert.ok(disconnects.length > 0 && disconnects.every((fallback) => !fallback), 'a down service is waited for, not fallen back from');
  assert.equal(seen.resumes.at(-1), true, 'the reconnection resumed');

  const history = await bob.client.room(roomId).messages({ limit: 50 });
  const posted = history.messages.filter((item) => 'text' in item && item.text.startsWith('offline')).map((item) => 'text' in item && item.text);
  assert.deepEqual(posted.sort(), ['offline 0', 'offline 1', 'offline 2'], 'posted once each');
  live.stop();
});
