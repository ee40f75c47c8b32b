// The sidebar beside every page of a logged-in person (but My rooms, which is the same list in
// full): their rooms and DMs, the latest activity first, each with its unread and mention
// badges. One inbox socket (inbox.js) keeps it up to date without polling: a message elsewhere
// moves its room to the top and counts it; reading it (here, or in another tab) clears it.
// On a phone the sidebar is not shown: My rooms and the room are two screens.

import { fill, h } from '../dom.js';
import { listenInbox, readRooms } from '../inbox.js';
import * as session from '../session.js';
import { errorLine, roomName, showError, userLabel, userText } from '../ui.js';

/** The rooms the sidebar shows; the rest are on My rooms. */
const SHOWN = 100;

/**
 * @typedef {object} Row
 * @property {HTMLLIElement} li
 * @property {string | null} at the room's latest message's time (RFC 3339), what orders the rows
 */

/**
 * The sidebar: `show(roomId)` marks the room open in the page (null for none); `stop()` stops
 * listening to the inbox.
 * @returns {{ element: HTMLElement, show: (roomId: string | null) => void, stop: () => void }}
 */
export function createSidebar() {
  const list = h('ul', { class: 'side-list', 'aria-label': 'Rooms by latest activity' });
  const line = errorLine();
  const more = h('p', { class: 'muted side-more', hidden: true });
  const element = h('div', { class: 'side-inner' },
    h('h2', { class: 'side-title' }, h('a', { href: '#/mine' }, 'Rooms')),
    list, more, line);
  /** @type {Map<string, Row>} */
  const rows = new Map();
  /** @type {string | null} */
  let open = null;
  let latest = 0;
  let stopped = false;

  async function load() {
    const request = ++latest;
    try {
      const page = await readRooms(0, SHOWN);
      if (stopped || request !== latest) return;
      rows.clear();
      fill(list, page.rooms.map((room) => {
        const li = row(room);
        rows.set(room.room_id, { li, at: room.last_message_at });
        return li;
      }));
      more.hidden = page.room_count <= SHOWN;
      fill(more, h('a', { href: '#/mine' }, `All ${page.room_count} rooms`));
      showError(line, null);
      mark();
    } catch (/** @type {any} an ApiError */ error) {
      if (!error.sessionEnded) showError(line, error);
    }
  }

  /**
   * A new message in a room (or a read): its badges, and its place by time.
   * @param {Extract<import('../inbox.js').InboxFrame, { type: 'room_activity' }>} activity
   */
  function moved(activity) {
    const found = rows.get(activity.room_id);
    if (!found) return load(); // a room joined meanwhile, or past the first SHOWN
    drawBadges(/** @type {HTMLElement} */ (found.li.querySelector('.side-badges')), activity);
    if (found.at === activity.last_message_at) return;
    found.at = activity.last_message_at;
    // Its place: before the first other row, in the list's order, no newer than it.
    const before = [...list.children].find((li) => li !== found.li
      && (rows.get(/** @type {HTMLElement} */ (li).dataset.room ?? '')?.at ?? '') <= (found.at ?? ''));
    const focused = found.li.contains(document.activeElement);
    if (before) before.before(found.li);
    else list.append(found.li);
    if (focused) /** @type {HTMLElement | null} */ (found.li.querySelector('a'))?.focus();
  }

  /** The open room's row says so (and shows no badges: it is being read). */
  function mark() {
    for (const [id, { li }] of rows) {
      const link = /** @type {HTMLElement} */ (li.querySelector('a'));
      if (id === open) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
      li.classList.toggle('open', id === open);
    }
  }

  const unlisten = listenInbox((frame) => {
    switch (frame.type) {
      case 'hello':
        // From now on every change is pushed; what changed between the first reading and the
        // inbox's opening (a room deleted meanwhile, say), or while it was away, is read again.
        load();
        break;
      case 'room_activity':
        moved(frame);
        break;
      case 'joined': case 'left': case 'dm_request':
        load();
        break;
      default:
    }
  });
  load();

  return {
    element,
    show(roomId) {
      open = roomId;
      mark();
    },
    stop() {
      stopped = true;
      unlisten();
    },
  };
}

/**
 * One room of the sidebar: its name (a DM's is the other person's) and its badges.
 * @param {import('../api.js').MyRoom} room
 */
function row(room) {
  const badges = h('span', { class: 'side-badges' });
  drawBadges(badges, room);
  const href = `#/room/${encodeURIComponent(room.room_id)}`;
  const other = room.kind === 'dm' ? room.people?.find((id) => id !== session.current()?.user_id) : null;
  const name = room.kind === 'dm'
    ? h('span', { class: 'side-name' }, other ? userLabel(other) : 'Direct message')
    : h('span', { class: 'side-name' }, userText(roomName(room.name)));
  return h('li', { class: 'side-room', 'data-room': room.room_id },
    h('a', { href }, name, badges));
}

/**
 * A room's badges in the sidebar: the count of unread messages, and of mentions among them
 * (each read out with what it counts).
 * @param {HTMLElement} badges
 * @param {{ unread: number, mentions: number }} attention
 */
function drawBadges(badges, { unread, mentions }) {
  fill(badges,
    mentions > 0 && h('span', { class: 'badge mention' }, `@${mentions}`, h('span', { class: 'sr-only' }, ` ${mentions === 1 ? 'mention' : 'mentions'}`)),
    unread > 0 && h('span', { class: 'badge unread' }, String(unread), h('span', { class: 'sr-only' }, ' unread')));
}
