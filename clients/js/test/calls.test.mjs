// Every call of the package against a real `wrangler dev`, each answer checked against what
// web/openapi.json documents for its operation and status; refusals as one error type.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ChatroomsError, createClient } from 'chatrooms-client';

import { conforms } from './conforms.mjs';
import { base, person, unique } from './helpers.mjs';

test('accounts and sessions: sign up, log in by handle and by id, handles, passwords, sessions, log out, delete', async () => {
  const ana = await person('ana');
  assert.deepEqual(ana.client.session, { user_id: ana.id, key: ana.key });

  const other = createClient({ baseUrl: base() });
  conforms('logInWithBody', 200, await other.logIn({ handle: ana.handle }, 'correct horse battery'));
  assert.equal(other.session?.user_id, ana.id);
  const byId = createClient({ baseUrl: base() });
  conforms('logInWithBody', 200, await byId.logIn({ user_id: ana.id }, 'correct horse battery'));

  conforms('getUser', 200, await ana.client.user(ana.id));
  conforms('getUserByHandle', 200, await ana.client.userByHandle(`@${ana.handle}`));
  conforms('findPeople', 200, await ana.client.findPeople({ q: ana.handle.slice(0, 6), limit: 5 }));
  const handle = unique('anb');
  const changed = conforms('changeHandle', 200, await ana.client.changeHandle(handle));
  assert.equal(changed.handle, handle);

  // Ending the other sessions ends `other`'s and `byId`'s keys, not this one's.
  conforms('endOtherSessions', 204, await ana.client.endOtherSessions());
  /** @type {ChatroomsError[]} */
  const ended = [];
  const revoked = createClient({ baseUrl: base(), session: other.session, onSessionEnded: (error) => ended.push(error) });
  const refusal = await revoked.myRooms().then(() => null, (error) => error);
  assert.ok(refusal instanceof ChatroomsError);
  assert.equal(refusal.status, 401);
  assert.equal(typeof refusal.error, 'string');
  assert.equal(refusal.sessionEnded, true);
  assert.equal(revoked.session, null, 'a dead key is forgotten');
  assert.equal(ended.length, 1, 'and said once');

  conforms('changePassword', 204, await ana.client.changePassword('correct horse battery', 'a new horse battery'));
  const wrong = await createClient({ baseUrl: base() }).logIn({ handle }, 'correct horse battery').then(() => null, (error) => error);
  assert.equal(wrong?.status, 401);
  assert.equal(wrong?.sessionEnded, false, 'a wrong password ends no session');

  conforms('logOut', 204, await ana.client.logOut());
  assert.equal(ana.client.session, null);
  await assert.rejects(ana.client.myRooms(), (error) => error instanceof ChatroomsError && error.status === 401);

  const again = createClient({ baseUrl: base() });
  await again.logIn({ handle }, 'a new horse battery');
  conforms('deleteUser', 204, await again.deleteAccount('a new horse battery'));
  assert.equal(again.session, null);
  await assert.rejects(again.user(ana.id), (error) => error.status === 404 && typeof error.error === 'string');
});

test('rooms: create, read, change, members, admins, bans, invitations, ownership, delete', async () => {
  const [ana, bob, cai] = await Promise.all([person('ana'), person('bob'), person('cai')]);
  const created = conforms('createRoom', 200, await ana.client.createRoom({ name: unique('lobby'), open: true }));
  const room = ana.client.room(created.room_id);
  conforms('getRoom', 200, await room.get());
  conforms('updateRoom', 200, await room.update({ name: unique('hall') }));
  conforms('getOwner', 200, await room.owner());
  conforms('listOpenRooms', 200, await ana.client.directory({ limit: 5 }));

  const asBob = bob.client.room(room.id);
  conforms('addMember', 200, await asBob.join());
  conforms('listMembers', 200, await room.members({ limit: 10 }));
  conforms('getMember', 200, await room.member(bob.id));
  conforms('promoteAdmin', 200, await room.promote(bob.id));
  conforms('listAdmins', 200, await room.admins());
  conforms('demoteAdmin', 200, await room.demote(bob.id));
  conforms('transferOwnership', 200, await room.transferOwnership(bob.id));
  conforms('transferOwnership', 200, await asBob.transferOwnership(ana.id));

  conforms('banUser', 200, await room.ban(cai.id));
  conforms('listBans', 200, await room.bans());
  await assert.rejects(cai.client.room(room.id).join(), (error) => error.status === 403);
  conforms('unbanUser', 200, await room.unban(cai.id));

  // A closed room: an invitation, withdrawn, then another, declined, then one accepted.
  const closed = ana.client.room((await ana.client.createRoom({ name: unique('den'), open: false })).room_id);
  conforms('inviteUser', 200, await closed.invite(cai.id));
  conforms('withdrawInvite', 204, await closed.withdrawInvite(cai.id));
  await closed.invite(cai.id);
  const invites = conforms('listInvites', 200, await cai.client.invites());
  assert.ok(invites.invites.some((entry) => entry.room_id === closed.id));
  conforms('withdrawInvite', 204, await cai.client.room(closed.id).declineInvite());
  await closed.invite(cai.id);
  conforms('addMember', 200, await cai.client.room(closed.id).join());
  conforms('removeMember', 200, await closed.removeMember(cai.id));
  // Adding someone else invites them: nobody enters a room without their consent.
  assert.deepEqual(conforms('addMember', 200, await closed.addMember(bob.id)), { invited: true });
  await bob.client.room(closed.id).join();
  conforms('removeMember', 200, await bob.client.room(closed.id).leave());
  // Closed, and not a member: a 404, as if there were no room.
  await assert.rejects(bob.client.room(closed.id).get(), (error) => error.status === 404);

  conforms('getRoomsOfUser', 200, await ana.client.myRooms({ sort: 'activity', limit: 10 }));
  conforms('deleteRoom', 204, await closed.delete());
  await assert.rejects(closed.get(), (error) => error.status === 404);
});

test('messages: post, page, edit, delete, reply, thread, react, search, read, mentions', async () => {
  const [ana, bob] = await Promise.all([person('ana'), person('bob')]);
  const room = ana.client.room((await ana.client.createRoom({ name: unique('talk'), open: true })).room_id);
  await bob.client.room(room.id).join();

  const first = conforms('postMessage', 201, await room.post('hello, room'));
  const reply = conforms('postMessage', 201, await bob.client.room(room.id).post(`@${ana.handle} hi`, { mentions: [ana.id], reply_to: first.message_id }));
  const inThread = conforms('postMessage', 201, await room.post('in a thread', { thread: first.message_id }));
  assert.equal(inThread.in_thread, first.message_id);
  const page = conforms('listMessages', 200, await room.messages({ limit: 10 }));
  assert.deepEqual(page.messages.map((message) => message.message_id), [reply.message_id, first.message_id]);
  conforms('listMessages', 200, await room.messages({ thread: first.message_id }));
  conforms('listMessages', 200, await room.messages({ after: first.message_id }));

  conforms('editMessage', 200, await room.edit(first.message_id, 'hello again'));
  conforms('addReaction', 200, await bob.client.room(room.id).react(first.message_id, '👍'));
  conforms('listReactors', 200, await room.reactors(first.message_id, '👍'));
  conforms('removeReaction', 200, await bob.client.room(room.id).unreact(first.message_id, '👍'));
  conforms('searchMessages', 200, await room.search('again'));
  conforms('listMentions', 200, await ana.client.mentions({ limit: 5 }));
  conforms('markRead', 200, await room.markRead(reply.seq));
  conforms('deleteMessage', 204, await room.deleteMessage(first.message_id));

  const refused = await room.post('').then(() => null, (error) => error);
  assert.ok(refused instanceof ChatroomsError);
  assert.equal(refused.status, 400);
  assert.equal(typeof refused.error, 'string');
  assert.equal(refused.message, refused.error, 'the message is the service\'s own text by default');
});

test('people: DMs with consent, blocks, tickets, limits', async () => {
  const [ana, bob] = await Promise.all([person('ana'), person('bob')]);
  const dm = conforms('openDm', 200, await ana.client.openDm(bob.id));
  await ana.client.room(dm.room_id).post('hi bob');
  const requests = conforms('listDmRequests', 200, await bob.client.dmRequests());
  assert.ok(requests.requests.some((request) => request.room_id === dm.room_id));
  conforms('addMember', 200, await bob.client.room(dm.room_id).join());

  conforms('blockUser', 200, await bob.client.block(ana.id));
  conforms('listBlocks', 200, await bob.client.blocks());
  conforms('unblockUser', 200, await bob.client.unblock(ana.id));

  conforms('createLiveTicket', 200, await ana.client.room(dm.room_id).liveTicket());
  conforms('createInboxTicket', 200, await ana.client.inboxTicket());
  conforms('getLimits', 200, await ana.client.limits());
});

test('files: upload bytes of a known size, download them whole and in part, 304 for an unchanged copy', async () => {
  const ana = await person('ana');
  const room = ana.client.room((await ana.client.createRoom({ name: unique('files'), open: false })).room_id);
  const bytes = new TextEncoder().encode('a small file, of text');
  /** @type {[number, number][]} */
  const progress = [];
  const file = conforms('uploadFile', 201, await room.upload(bytes, { name: 'note.txt', type: 'text/plain', onProgress: (sent, total) => progress.push([sent, total]) }));
  assert.equal(file.size, bytes.length);
  assert.deepEqual(progress.at(-1), [bytes.length, bytes.length]);
  const posted = await room.post('a file', { files: [file.file_id] });
  assert.deepEqual(posted.files.map((entry) => entry.file_id), [file.file_id]);

  const whole = await room.file(file.file_id);
  assert.equal(whole.status, 200);
  assert.equal(await whole.text(), 'a small file, of text');
  const part = await room.file(file.file_id, { range: 'bytes=2-6' });
  assert.equal(part.status, 206);
  assert.equal(await part.text(), 'small');
  const unchanged = await room.file(file.file_id, { etag: /** @type {string} */ (whole.headers.get('ETag')) });
  assert.equal(unchanged.status, 304);
  await assert.rejects(createClient({ baseUrl: base() }).room(room.id).file(file.file_id), (error) => error.status === 404);
});

test('a caller\'s own fetch (a service binding\'s) carries every request; GETs are asked again through a restart\'s 503', async () => {
  /** @type {string[]} */
  const seen = [];
  let failNext = 2;
  /** @type {typeof fetch} */
  const binding = async (input, init) => {
    const url = new URL(String(input));
    seen.push(`${init?.method} ${url.pathname}`);
    // As `wrangler dev` answers while its worker restarts: a 503 in plain text, twice.
    if (url.pathname === '/limits' && failNext > 0) {
      failNext -= 1;
      return new Response('Your worker restarted mid-request', { status: 503 });
    }
    return fetch(input, init);
  };
  const client = createClient({ baseUrl: base(), fetch: binding });
  await client.signUp({ username: 'dee', password: 'correct horse battery', handle: unique('dee') });
  conforms('getLimits', 200, await client.limits());
  assert.deepEqual(seen, ['POST /user', 'GET /limits', 'GET /limits', 'GET /limits']);

  // A POST is never asked again: it might have been done.
  const once = createClient({ baseUrl: base(), fetch: async () => new Response('no', { status: 503 }) });
  const refusal = await once.signUp({ username: 'eve', password: 'correct horse battery' }).then(() => null, (error) => error);
  assert.equal(refusal?.status, 503);
  assert.equal(refusal?.error, null, 'a plain-text answer has no error text');
});

test('a refusal carries Retry-After, and `describe` words every error', async () => {
  const client = createClient({
    baseUrl: base(),
    fetch: async () => Response.json({ error: 'too many requests' }, { status: 429, headers: { 'Retry-After': '7' } }),
    describe: ({ status, error, retryAfter }) => `${status}: ${error} (${retryAfter} s)`,
  });
  const refusal = await client.room('0b3c2f1e-0000-4000-8000-000000000000').get().then(() => null, (error) => error);
  assert.ok(refusal instanceof ChatroomsError);
  assert.equal(refusal.status, 429);
  assert.equal(refusal.retryAfter, 7);
  assert.equal(refusal.message, '429: too many requests (7 s)');
  const unreachable = createClient({ baseUrl: 'http://127.0.0.1:9', retries: 0 });
  await assert.rejects(unreachable.limits(), (error) => error instanceof ChatroomsError && error.status === 0);
});

test('every operation the document has is a call of the package (or a socket of live() and inbox())', async () => {
  const { readFileSync } = await import('node:fs');
  const document = JSON.parse(readFileSync(new URL('../../../web/openapi.json', import.meta.url), 'utf8'));
  // operationId → the call that makes it ("-": the document's own, or an older form of one).
  const calls = {
    getOpenApi: '-', getAsyncApi: '-', logIn: '- (GET /token: logIn posts instead, keeping the password out of URLs)',
    createRoomSlash: '- (POST /room/)', signUp: 'signUp', logInWithBody: 'logIn', logOut: 'logOut', getUser: 'user',
    deleteUser: 'deleteAccount', changeHandle: 'changeHandle', changePassword: 'changePassword', endOtherSessions: 'endOtherSessions',
    getRoomsOfUser: 'myRooms', listBlocks: 'blocks', blockUser: 'block', unblockUser: 'unblock', listInvites: 'invites',
    listDmRequests: 'dmRequests', openDm: 'openDm', getUserByHandle: 'userByHandle', findPeople: 'findPeople',
    listOpenRooms: 'directory', createRoom: 'createRoom', listMentions: 'mentions', createInboxTicket: 'inboxTicket',
    openInboxSocket: 'inbox', getLimits: 'limits',
    getRoom: 'room.get', updateRoom: 'room.update', deleteRoom: 'room.delete', getOwner: 'room.owner',
    transferOwnership: 'room.transferOwnership', listMembers: 'room.members', addMember: 'room.join', getMember: 'room.member',
    removeMember: 'room.removeMember', listAdmins: 'room.admins', promoteAdmin: 'room.promote', demoteAdmin: 'room.demote',
    listBans: 'room.bans', banUser: 'room.ban', unbanUser: 'room.unban', inviteUser: 'room.invite', withdrawInvite: 'room.withdrawInvite',
    markRead: 'room.markRead', listMessages: 'room.messages', postMessage: 'room.post', editMessage: 'room.edit',
    deleteMessage: 'room.deleteMessage', createLiveTicket: 'room.liveTicket', openLiveSocket: 'room.live', listReactors: 'room.reactors',
    addReaction: 'room.react', removeReaction: 'room.unreact', searchMessages: 'room.search', uploadFile: 'room.upload',
    downloadFile: 'room.file',
  };
  const client = createClient({ baseUrl: base() });
  const room = client.room('0b3c2f1e-0000-4000-8000-000000000000');
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      if (!operation?.operationId) continue;
      const call = calls[operation.operationId];
      assert.ok(call, `${method.toUpperCase()} ${path} (${operation.operationId}) has no call in the package`);
      if (call.startsWith('-')) continue;
      const [owner, name] = call.startsWith('room.') ? [room, call.slice(5)] : [client, call];
      assert.equal(typeof owner[name], 'function', `${call} is not a function`);
    }
  }
});

test('the client carries the latest D1 bookmark: its reads a replica may serve see its own writes', async () => {
  /** @type {(string | null)[]} */
  const carried = [];
  /** @type {typeof fetch} */
  const watching = (input, init) => {
    carried.push(new Headers(init?.headers).get('X-D1-Bookmark'));
    return fetch(input, init);
  };
  const client = createClient({ baseUrl: base(), fetch: watching });
  assert.equal(client.bookmark, null);
  await client.signUp({ username: 'fay', password: 'correct horse battery', handle: unique('fay') });
  assert.equal(carried[0], null, 'nothing to carry yet');
  const first = client.bookmark;
  assert.ok(first, 'the sign-up answered with a bookmark');
  const name = unique('renamed');
  const { room_id } = await client.createRoom({ name: unique('plain'), open: true });
  await client.room(room_id).update({ name });
  const written = /** @type {string} */ (client.bookmark);
  assert.ok(written >= first);
  // The directory is a read a replica may serve: it goes with the write's bookmark, and sees it.
  const found = await client.directory({ q: name });
  assert.equal(carried.at(-1), written);
  assert.deepEqual(found.rooms.map((room) => room.room_id), [room_id]);
});
