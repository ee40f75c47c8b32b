// Finding rooms: "My rooms" (with the form that creates one) and the directory of open rooms.

import * as api from '../api.js';
import { fill, h } from '../dom.js';
import { listenInbox, readRooms } from '../inbox.js';
import * as session from '../session.js';
import { errorLine, field, handleOf, navigate, onSubmit, pagedList, roomName, showError, userLabel, userText } from '../ui.js';

/**
 * One room in a list: its name links to it; one's own rooms carry their unread and mention
 * badges (`attention`), which the inbox updates in place.
 * @param {import('../api.js').RoomSummary} room
 * @param {{ unread: number, mentions: number } | null} [attention]
 */
function roomItem(room, attention = null) {
  const badges = attention && h('span', { class: 'attention' });
  if (badges && attention) drawAttention(badges, attention);
  const attrs = { class: 'room-item', 'data-room': room.room_id };
  if (room.kind === 'dm') {
    const other = room.people?.find((id) => id !== session.current()?.user_id);
    return h('li', attrs,
      h('a', { href: `#/room/${encodeURIComponent(room.room_id)}` }, 'Direct message', other && [' with ', userLabel(other)]),
      badges,
      h('span', { class: 'muted' }, room.user_count === 2 ? 'you both are in it' : 'waiting for the other person'));
  }
  return h('li', attrs,
    h('a', { href: `#/room/${encodeURIComponent(room.room_id)}` }, userText(roomName(room.name))),
    badges,
    h('span', { class: 'muted' },
      `${room.user_count} ${room.user_count === 1 ? 'member' : 'members'} · ${room.open ? 'open' : 'closed'} · owner `,
      userLabel(room.owner)));
}

/**
 * A room's badges: how many messages one has not read, and how many of those mention one.
 * @param {HTMLElement} badges
 * @param {{ unread: number, mentions: number }} attention
 */
export function drawAttention(badges, { unread, mentions }) {
  fill(badges,
    unread > 0 && h('span', { class: 'badge unread' }, `${unread} unread`),
    mentions > 0 && h('span', { class: 'badge mention' }, `${mentions} ${mentions === 1 ? 'mention' : 'mentions'}`));
}

/**
 * "My rooms": the latest activity first, each with its badges, kept up to date by one's inbox
 * socket (inbox.js) while the page shows: a message elsewhere shows here within a second or so,
 * without polling. A change of membership reads the lists again.
 * @param {HTMLElement} main
 * @returns {() => void} stops listening to the inbox
 */
export function renderMyRooms(main) {
  const rooms = pagedList({
    label: 'My rooms',
    fetchPage: readRooms,
    render: (/** @type {import('../api.js').MyRoom} */ room) => roomItem(room, room),
    empty: 'You are not in any room yet. Create one below, or find an open one in the directory.',
  });
  const waitingRequests = requests(rooms);
  const waitingInvitations = invitations(rooms);
  main.append(
    h('h1', {}, 'My rooms'),
    waitingRequests,
    waitingInvitations,
    h('section', { 'aria-label': 'Rooms you are in' }, rooms),
    messageForm(),
    createRoomForm());
  // From a hello on, every change is pushed; what changed between the first reading and the
  // inbox's opening (or while it was away) is read again.
  return listenInbox((frame) => {
    switch (frame.type) {
      case 'hello':
        rooms.reset();
        break;
      case 'room_activity': {
        const item = [...rooms.querySelectorAll('li[data-room]')].find((li) => li.getAttribute('data-room') === frame.room_id);
        const badges = item?.querySelector('.attention');
        if (badges instanceof HTMLElement) drawAttention(badges, frame);
        else rooms.reset();
        break;
      }
      case 'joined': case 'left': case 'invited': case 'dm_request':
        rooms.reset();
        waitingRequests.reset();
        waitingInvitations.reset();
        break;
      default:
    }
  });
}

/**
 * What waits for one's yes or no (message requests, invitations): a card shown only while there
 * are some, each entry with Accept (join its room, then open it) and Decline.
 * @template {import('../api.js').DmRequestList | import('../api.js').InvitationList} P
 * @param {object} options
 * @param {string} options.title the card's heading, and its list's label
 * @param {string} options.hint what the card is for
 * @param {string} options.empty
 * @param {(offset: number, limit: number) => Promise<P>} options.fetchPage
 * @param {(page: P) => number} options.total
 * @param {(item: import('../ui.js').ItemOf<P>) => { room_id: string, name: () => import('../dom.js').Child, shown: import('../dom.js').Child[], decline: () => Promise<unknown>, declined: () => import('../dom.js').Child[] }} options.entry
 *   the entry's room, what names it (to screen readers, beside Accept and Decline), how it
 *   shows, how it is declined and what is said once it is
 * @param {HTMLDivElement & { reset(): Promise<void> }} mine the list of one's rooms, read again after a choice
 */
function waiting({ title, hint, empty, fetchPage, total, entry }, mine) {
  const status = h('p', { class: 'status', role: 'status' });
  const line = errorLine();
  /** @type {HTMLDivElement & { reset(): Promise<void> }} */
  const list = pagedList({
    label: title,
    fetchPage: async (offset, limit) => {
      const page = await fetchPage(offset, limit);
      section.hidden = total(page) === 0;
      return page;
    },
    render: (item) => {
      const { room_id, name, shown, decline, declined } = entry(item);
      const choose = (/** @type {boolean} */ accept) => async () => {
        showError(line, null);
        try {
          if (accept) {
            await api.join(room_id);
            navigate(`#/room/${encodeURIComponent(room_id)}`);
            return;
          }
          await decline();
          fill(status, ...declined());
          await Promise.all([list.reset(), mine.reset()]);
        } catch (/** @type {any} an ApiError */ error) {
          showError(line, error);
        }
      };
      return h('li', { class: 'room-item' }, shown,
        h('span', { class: 'buttons' },
          h('button', { type: 'button', class: 'small primary', onclick: choose(true) }, 'Accept', h('span', { class: 'sr-only' }, ' ', name())),
          h('button', { type: 'button', class: 'small', onclick: choose(false) }, 'Decline', h('span', { class: 'sr-only' }, ' ', name()))));
    },
    empty,
  });
  const id = `${title.toLowerCase().replace(/ /g, '-')}-title`;
  const section = h('section', { class: 'card', 'aria-labelledby': id, hidden: true },
    h('h2', { id }, title), h('p', { class: 'muted' }, hint), list, line);
  // What was declined is said outside the card, which hides once nothing waits.
  return Object.assign(h('div', {}, section, status), { reset: () => list.reset() });
}

/**
 * The direct messages others started with one, each with its first message.
 * @param {HTMLDivElement & { reset(): Promise<void> }} mine
 */
const requests = (mine) => waiting({
  title: 'Message requests',
  hint: 'Nobody writes to you in private unless you say yes: they wait here until you accept or decline.',
  empty: 'No message requests.',
  fetchPage: api.dmRequests,
  total: (page) => page.request_count,
  entry: (request) => {
    const from = () => userLabel(request.from);
    return {
      room_id: request.room_id,
      name: () => ['the message from ', from()],
      shown: [
        h('span', {}, from(), ' wants to message you'),
        h('q', { class: 'muted' }, request.first_message === null ? 'No message yet.' : userText(request.first_message))],
      decline: () => api.removeMember(request.room_id, /** @type {string} logged in */ (session.current()?.user_id)),
      declined: () => ['You declined the message from ', from(), '.'],
    };
  },
}, mine);

/**
 * The rooms one is invited to.
 * @param {HTMLDivElement & { reset(): Promise<void> }} mine
 */
const invitations = (mine) => waiting({
  title: 'Invitations',
  hint: 'Nobody enters a room without saying yes: accept to join, or decline.',
  empty: 'No invitations.',
  fetchPage: api.invites,
  total: (page) => page.invite_count,
  entry: (invitation) => {
    const name = () => userText(roomName(invitation.room.name));
    return {
      room_id: invitation.room_id,
      name,
      shown: [
        h('span', {}, name()),
        h('span', { class: 'muted' }, `${invitation.room.open ? 'open' : 'closed'} · invited by `, userLabel(invitation.by))],
      decline: () => api.declineInvite(invitation.room_id),
      declined: () => ['You declined the invitation to ', name(), '.'],
    };
  },
}, mine);

/** Starts (or opens) a direct message with someone, by their handle. */
function messageForm() {
  const handle = field('Their handle', { name: 'handle', autocomplete: 'off', maxlength: 33, required: true }, 'Like @ana or ana.');
  const line = errorLine();
  const form = h('form', { class: 'card', 'aria-labelledby': 'message-title' },
    h('h2', { id: 'message-title' }, 'Message someone'),
    handle, line,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Open direct message')));
  onSubmit(form, line, async (data) => {
    const person = await api.personByHandle(handleOf(/** @type {string} a text field */ (data.get('handle'))));
    const { room_id } = await api.openDm(person.user_id);
    navigate(`#/room/${encodeURIComponent(room_id)}`);
  });
  return form;
}

function createRoomForm() {
  const name = field('Name', { name: 'name', maxlength: 100, autocomplete: 'off' }, 'Up to 100 characters.');
  /** @type {(value: string, label: string, hint: string, checked: boolean) => HTMLLabelElement} */
  const choice = (value, label, hint, checked) => h('label', { class: 'choice' },
    h('input', { type: 'radio', name: 'open', value, checked }),
    h('span', {}, h('strong', {}, label), h('span', { class: 'muted' }, ` — ${hint}`)));
  const line = errorLine();
  const form = h('form', { class: 'card', 'aria-labelledby': 'create-title' },
    h('h2', { id: 'create-title' }, 'Create a room'),
    name,
    h('fieldset', {},
      h('legend', {}, 'Who can join'),
      choice('true', 'Open', 'listed in the directory; anyone can read it and join', true),
      choice('false', 'Closed', 'unlisted; only members see it, and admins invite people by handle', false)),
    line,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Create room')));
  onSubmit(form, line, async (data) => {
    const { room_id } = await api.createRoom(/** @type {string} a text field */ (data.get('name')).trim(), data.get('open') === 'true');
    navigate(`#/room/${encodeURIComponent(room_id)}`);
  });
  return form;
}

/** @param {HTMLElement} main */
export function renderDirectory(main) {
  const search = field('Search by name', { type: 'search', name: 'q', autocomplete: 'off', maxlength: 100 });
  let query = '';
  const rooms = pagedList({
    label: 'Open rooms',
    fetchPage: (offset, limit) => api.directory(query, offset, limit),
    render: roomItem,
    empty: 'No open room matches.',
  });
  const form = h('form', { role: 'search', class: 'search', 'aria-label': 'Rooms' },
    search, h('button', { type: 'submit' }, 'Search'));
  // Search as one types, a moment after the last key, and at once on Enter.
/** @type {any} setTimeout's id, or null: clearTimeout takes both (the DOM's types want a number) */
  let timer = null;
  const run = () => {
    clearTimeout(timer);
    query = search.control.value.trim();
    rooms.reset();
  };
  form.addEventListener('submit', (event) => { event.preventDefault(); run(); });
  search.control.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(run, 300); });
  main.append(
    h('h1', {}, 'Directory'),
    h('p', { class: 'muted' }, 'Open rooms, most members first. Closed rooms are not listed.'),
    form, rooms);
  return () => clearTimeout(timer);
}
