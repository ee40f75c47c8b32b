// Live rooms and the inbox through the package, against a real `wrangler dev`: a socket cut
// mid-stream resumes with nothing missed or doubled, a send whose answer was lost is posted
// once, `reset` becomes a reload, and the closes the service makes reach their listeners by name.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ChatroomsError } from 'chatrooms-client';

import { cuttableSockets, person, record, unique, until } from './helpers.mjs';

/** Ana's open room, which Bob has joined. */
async function roomOfTwo() {
  const [ana, bob] = await Promise.all([person('ana'), person('bob')]);
  const { room_id } = await ana.client.createRoom({ name: unique('live'), open: true });
  await bob.client.room(room_id).join();
  return { ana, bob, roomId: room_id };
}

/**
 * Every event with a seq came once, in order, with no gap.
 * @param {any[]} events
 */
function gapFree(events) {
  const seqs = events.filter((event) => typeof event.seq === 'number').map((event) => event.seq);
  for (let index = 1; index < seqs.length; index += 1) assert.equal(seqs[index], seqs[index - 1] + 1, `seqs ${seqs.join(',')}`);
}

test('a socket cut mid-stream resumes: every message once, in order, and the events gap-free', async () => {
  const { ana, bob, roomId } = await roomOfTwo();
  const sockets = cuttableSockets();
  ana.client.WebSocket = sockets.Socket;
  const live = ana.client.room(roomId).live();
  const seen = record(live);
  await until(() => live.live, 'the first connection');

  const texts = Array.from({ length: 30 }, (_, index) => `message ${index}`);
  for (const [index, text] of texts.entries()) {
    await bob.client.room(roomId).post(text);
    if (index === 9 || index === 19) sockets.cut();
  }
  await until(() => seen.texts().length >= texts.length, 'thirty messages');
  // A moment for anything doubled to show up: the next event must be the one posted now.
  const last = await bob.client.room(roomId).post('the end');
  await until(() => seen.texts().includes('the end'), 'the last message');
  assert.deepEqual(seen.texts(), [...texts, 'the end']);
  gapFree(seen.events);
  assert.equal(live.seq, last.seq);
  assert.ok(sockets.made.length >= 3, `three sockets at least (${sockets.made.length})`);
  assert.equal(seen.resumes[0], false, 'the first connection starts from now');
  assert.ok(seen.resumes.slice(1).every(Boolean), `every reconnection resumed (${seen.resumes})`);
  live.stop();
});

test('a send whose socket is cut before its answer is sent again with its txn_id and posted once', async () => {
  const { ana, roomId } = await roomOfTwo();
  const sockets = cuttableSockets();
  // Cut the socket the moment each of the first two sends leaves: whether the room got it or
  // not, its answer never comes on that socket.
  let cuts = 2;
  class Cutting extends sockets.Socket {
    /** @param {string} data */
    send(data) {
      super.send(data);
      if (cuts > 0 && JSON.parse(data).type === 'send') {
        cuts -= 1;
        this.close(4999, 'cut by the test');
      }
    }
  }
  ana.client.WebSocket = Cutting;
  const live = ana.client.room(roomId).live();
  await until(() => live.live, 'the first connection');
  const message = await live.send('only once', {});
  assert.equal(message.text, 'only once');
  const frames = sockets.sent.map((data) => JSON.parse(data)).filter((frame) => frame.type === 'send');
  assert.ok(frames.length >= 3, `sent three times at least (${frames.length})`);
  assert.equal(new Set(frames.map((frame) => frame.txn_id)).size, 1, 'always with the same txn_id');
  const history = await ana.client.room(roomId).messages();
  assert.deepEqual(history.messages.filter((item) => 'text' in item && item.text === 'only once').map((item) => item.message_id), [message.message_id]);
  live.stop();
});

test('resuming after a seq the room no longer has is a reset: connected says resumed: false (reload)', async () => {
  const { ana, bob, roomId } = await roomOfTwo();
  await bob.client.room(roomId).post('before');
  const live = ana.client.room(roomId).live({ after: 1_000_000 });
  const seen = record(live);
  await until(() => seen.connections === 1, 'the connection');
  assert.deepEqual(seen.resumes, [false]);
  const posted = await bob.client.room(roomId).post('after the reset');
  await until(() => seen.texts().includes('after the reset'), 'the next message');
  assert.equal(live.seq, posted.seq, 'events follow from the room\'s own seq');
  live.stop();
});

test('typing, presence, edits, reactions and reads come as their own events; send takes replies and files', async () => {
  const { ana, bob, roomId } = await roomOfTwo();
  const live = ana.client.room(roomId).live();
  /** @type {string[]} */
  const types = [];
  live.on('event', (event) => types.push(event.type));
  /** @type {any[]} */
  const typing = [];
  live.on('typing', (event) => typing.push(event));
  await until(() => live.live, 'the connection');
  const bobLive = bob.client.room(roomId).live();
  await until(() => bobLive.live, 'bob\'s connection');
  await until(() => types.includes('presence'), 'bob\'s presence');
  bobLive.typing();
  await until(() => typing.length > 0, 'bob typing');
  assert.equal(typing[0].user_id, bob.id);

  const file = await bob.client.room(roomId).upload('bytes', { name: 'b.txt', type: 'text/plain' });
  const first = await bobLive.send('first');
  const reply = await bobLive.send('a reply', { reply_to: first.message_id, files: [file.file_id] });
  assert.equal(reply.reply_to?.message_id, first.message_id);
  assert.deepEqual(reply.files.map((entry) => entry.file_id), [file.file_id]);
  await bob.client.room(roomId).edit(first.message_id, 'first, edited');
  await ana.client.room(roomId).react(first.message_id, '🎉');
  await until(() => types.includes('reaction_added'), 'the reaction');
  assert.ok(types.includes('message_edited'));

  /** @type {any[]} */
  const reads = [];
  live.on('read', (frame) => reads.push(frame));
  const other = ana.client.room(roomId).live();
  await until(() => other.live, 'ana\'s second connection');
  other.read(reply.seq);
  await until(() => reads.length > 0, 'the read, told to ana\'s other socket');
  assert.equal(reads[0].seq, reply.seq);
  const refused = await bobLive.send('', {}).then(() => null, (error) => error);
  assert.ok(refused instanceof ChatroomsError, 'an empty message is refused by an error frame');
  assert.equal(typeof refused.error, 'string');
  for (const connection of [live, bobLive, other]) connection.stop();
});

test('the room\'s deletion closes its sockets as room_deleted; stop() rejects what is unsent', async () => {
  const { ana, bob, roomId } = await roomOfTwo();
  const live = bob.client.room(roomId).live();
  /** @type {any[]} */
  const closes = [];
  live.on('closed', (close) => closes.push(close));
  await until(() => live.live, 'the connection');
  await ana.client.room(roomId).delete();
  await until(() => closes.length > 0, 'the close');
  assert.deepEqual(closes, [{ code: 4004, reason: 'room_deleted', text: closes[0].text }]);
  assert.equal(live.stopped, true);

  const { ana: cai, roomId: other } = await roomOfTwo();
  const quiet = cai.client.room(other).live();
  const pending = quiet.send('never sent');
  quiet.stop();
  await assert.rejects(pending, (error) => error instanceof ChatroomsError && error.status === 0);
});

test('the inbox: the whole list on hello, activity with counts, and the key\'s end closes everything as key_ended', async () => {
  const { ana, bob, roomId } = await roomOfTwo();
  /** @type {import('chatrooms-client').ChatroomsError[]} */
  const ended = [];
  const { createClient } = await import('chatrooms-client');
  const bobHere = createClient({ baseUrl: process.env.CHATROOMS_URL, session: bob.client.session, onSessionEnded: (error) => ended.push(error) });
  const inbox = bobHere.inbox();
  assert.equal(bobHere.inbox(), inbox, 'one inbox a client');
  /** @type {any[]} */
  const hellos = [];
  /** @type {any[]} */
  const activity = [];
  /** @type {any[]} */
  const closes = [];
  inbox.on('hello', (frame) => hellos.push(frame));
  inbox.on('room_activity', (frame) => activity.push(frame));
  inbox.on('closed', (close) => closes.push(close));
  const live = bobHere.room(roomId).live();
  /** @type {any[]} */
  const liveCloses = [];
  live.on('closed', (close) => liveCloses.push(close));
  await until(() => hellos.length > 0 && live.live, 'the inbox\'s hello and the room\'s socket');
  assert.ok(hellos[0].rooms.some((room) => room.room_id === roomId));

  await ana.client.room(roomId).post(`@${bob.handle} look`, { mentions: [bob.id] });
  await until(() => activity.some((frame) => frame.room_id === roomId && frame.mentions === 1), 'the activity');
  assert.equal(activity.at(-1).unread, 1);

  // Bob ends his other sessions from elsewhere: this key is dead.
  const { createClient: make } = await import('chatrooms-client');
  const elsewhere = make({ baseUrl: process.env.CHATROOMS_URL });
  await elsewhere.logIn({ handle: bob.handle }, 'correct horse battery');
  await elsewhere.endOtherSessions();
  await until(() => closes.length > 0 && liveCloses.length > 0, 'both closes');
  assert.equal(closes[0].reason, 'key_ended');
  assert.equal(liveCloses[0].reason, 'key_ended');
  assert.equal(ended.length, 1, 'the session ended once');
  assert.equal(bobHere.session, null);
});
