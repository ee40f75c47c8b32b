// What a room's live events do to what the room view knows of the room (its details, the
// person's role, the admins): pure, no DOM and no network, so that it is tested without a
// browser (tests/e2e/room-state.spec.js). The view draws what this returns.

/** @typedef {import('./views/room.js').Standing} Standing */
/** @typedef {import('./live.js').RoomFrame} RoomFrame */
/**
 * What happened to the person, for the view to say: they left (or were removed, or banned), the
 * room was closed while they are not in it, or it was deleted.
 * @typedef {{ left: 'left' | 'removed' | 'banned' } | { closed: true } | { deleted: true } | null} Happened
 */

/**
 * The standing after one event (`null` for a frame that changes none of it: messages,
 * presence, typing), and what happened to the person.
 * @param {Standing} standing
 * @param {RoomFrame} frame
 * @param {string} me the person's user id
 * @returns {{ standing: Standing | null, happened: Happened }}
 */
export function afterEvent(standing, frame, me) {
  const admins = new Set(standing.admins);
  let { info, role } = standing;
  /** @type {Happened} */
  let happened = null;
  switch (frame.type) {
    case 'member_joined':
      info = { ...info, user_count: info.user_count + 1 };
      if (frame.user_id === me && role === 'outsider') role = 'member';
      break;
    case 'member_left':
      info = { ...info, user_count: Math.max(0, info.user_count - 1) };
      admins.delete(frame.user_id);
      if (frame.user_id === me) {
        role = 'outsider';
        happened = { left: frame.reason };
      }
      break;
    case 'admin_added':
      admins.add(frame.user_id);
      if (frame.user_id === me && role === 'member') role = 'admin';
      break;
    case 'admin_removed':
      admins.delete(frame.user_id);
      if (frame.user_id === me && role === 'admin') role = 'member';
      break;
    case 'owner_changed':
      // A DM has no owner powers (its starter's account went: it passed to the other person).
      if (info.kind === 'dm') {
        info = { ...info, owner: frame.owner };
        break;
      }
      // The new owner is an admin; the one before stays an admin.
      admins.add(frame.owner);
      if (frame.owner === me) role = 'owner';
      else if (role === 'owner') role = 'admin';
      info = { ...info, owner: frame.owner };
      break;
    case 'room_updated':
      info = frame.room;
      // Closed while the person is not in it: no longer theirs to see.
      if (role === 'outsider' && !info.open) happened = { closed: true };
      break;
    case 'room_deleted':
      return { standing: null, happened: { deleted: true } };
    default:
      return { standing: null, happened: null };
  }
  return { standing: { info, role, admins }, happened };
}

/**
 * The standing a socket's `hello` says, from the one before (whose admins it keeps, but for the
 * person's own flag).
 * @param {Standing} standing
 * @param {import('./live.js').Hello} hello
 * @param {string} me
 * @returns {Standing}
 */
export function fromHello(standing, { room, you }, me) {
  const role = !you ? 'outsider' : you.owner ? 'owner' : !you.present ? 'outsider' : you.admin ? 'admin' : 'member';
  const admins = new Set(standing.admins);
  if (you?.admin) admins.add(me);
  else admins.delete(me);
  return { info: room, role, admins };
}
