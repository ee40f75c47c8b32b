// web/js/room-state.js, the room view's state from the live socket's events: pure, so tested
// here without a browser or a server.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { pathToFileURL } = require('node:url');
const { test, expect } = require('@playwright/test');

// The browser's module, imported as one: Node reads a `.js` outside an ESM package as
// CommonJS, so a copy named `.mjs` is what it imports.
const load = () => {
  const copy = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'room-state-')), 'room-state.mjs');
  fs.copyFileSync(path.resolve(__dirname, '../../web/js/room-state.js'), copy);
  return import(pathToFileURL(copy).href);
};

const ME = 'me-0000';
const OTHER = 'other-0000';
/** A member's standing in an open room of two, owned by someone else. */
const member = () => ({
  info: { open: true, name: 'lobby', user_count: 2, owner: OTHER },
  role: 'member',
  admins: new Set([OTHER]),
});

test('a join counts one more, and makes the person a member if it is theirs', async () => {
  const { afterEvent } = await load();
  const outsider = { ...member(), role: 'outsider' };
  const { standing, happened } = afterEvent(outsider, { type: 'member_joined', seq: 3, user_id: ME }, ME);
  expect(standing.info.user_count).toBe(3);
  expect(standing.role).toBe('member');
  expect(happened).toBeNull();
});

test('the person leaving, removed or banned is an outsider, and it says why', async () => {
  const { afterEvent } = await load();
  for (const reason of ['left', 'removed', 'banned']) {
    const { standing, happened } = afterEvent(member(), { type: 'member_left', seq: 3, user_id: ME, reason }, ME);
    expect(standing.role).toBe('outsider');
    expect(standing.info.user_count).toBe(1);
    expect(happened).toEqual({ left: reason });
  }
  const other = afterEvent(member(), { type: 'member_left', seq: 3, user_id: OTHER, reason: 'left' }, ME);
  expect(other.standing.admins.has(OTHER)).toBe(false);
  expect(other.happened).toBeNull();
});

test('admins come and go, and an owner who hands the room over stays an admin', async () => {
  const { afterEvent } = await load();
  const promoted = afterEvent(member(), { type: 'admin_added', seq: 3, user_id: ME }, ME).standing;
  expect(promoted.role).toBe('admin');
  expect(afterEvent(promoted, { type: 'admin_removed', seq: 4, user_id: ME }, ME).standing.role).toBe('member');
  const owner = afterEvent(promoted, { type: 'owner_changed', seq: 5, owner: ME }, ME).standing;
  expect([owner.role, owner.info.owner]).toEqual(['owner', ME]);
  const handed = afterEvent(owner, { type: 'owner_changed', seq: 6, owner: OTHER }, ME).standing;
  expect(handed.role).toBe('admin');
  expect(handed.admins.has(OTHER)).toBe(true);
});

test('a room closed while the person is an outsider is gone for them; deleted, for everyone', async () => {
  const { afterEvent } = await load();
  const closed = { open: false, name: 'lobby', user_count: 2, owner: OTHER };
  const outsider = afterEvent({ ...member(), role: 'outsider' }, { type: 'room_updated', seq: 3, room: closed }, ME);
  expect(outsider.happened).toEqual({ closed: true });
  expect(afterEvent(member(), { type: 'room_updated', seq: 3, room: closed }, ME).happened).toBeNull();
  expect(afterEvent(member(), { type: 'room_deleted', seq: 3 }, ME)).toEqual({ standing: null, happened: { deleted: true } });
});

test('messages, presence and typing change no standing', async () => {
  const { afterEvent } = await load();
  for (const frame of [{ type: 'presence', users: [ME] }, { type: 'typing', user_id: OTHER }, { type: 'message_deleted', seq: 3, message_id: 'm' }]) {
    expect(afterEvent(member(), frame, ME)).toEqual({ standing: null, happened: null });
  }
});

test('hello says the person standing as the server sees it', async () => {
  const { fromHello } = await load();
  const room = member().info;
  const you = (flags) => ({ user_id: ME, present: true, admin: false, owner: false, ...flags });
  expect(fromHello(member(), { type: 'hello', seq: 0, room, you: null }, ME).role).toBe('outsider');
  expect(fromHello(member(), { type: 'hello', seq: 0, room, you: you({ present: false }) }, ME).role).toBe('outsider');
  expect(fromHello(member(), { type: 'hello', seq: 0, room, you: you({ owner: true, admin: true }) }, ME).role).toBe('owner');
  const admin = fromHello(member(), { type: 'hello', seq: 0, room, you: you({ admin: true }) }, ME);
  expect([admin.role, admin.admins.has(ME), admin.admins.has(OTHER)]).toEqual(['admin', true, true]);
});
