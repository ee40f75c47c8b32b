// Finding rooms: "My rooms" (with the form that creates one) and the directory of open rooms.

import * as api from '../api.js';
import { h } from '../dom.js';
import { errorLine, field, navigate, onSubmit, pagedList, roomName, showError, userLabel, userText } from '../ui.js';

/**
 * One room in a list: its name links to it.
 * @param {import('../api.js').RoomSummary} room
 */
function roomItem(room) {
  return h('li', { class: 'room-item' },
    h('a', { href: `#/room/${encodeURIComponent(room.room_id)}` }, userText(roomName(room.name))),
    h('span', { class: 'muted' },
      `${room.user_count} ${room.user_count === 1 ? 'member' : 'members'} · ${room.open ? 'open' : 'closed'} · owner `,
      userLabel(room.owner)));
}

/** @param {HTMLElement} main */
export function renderMyRooms(main) {
  const rooms = pagedList({
    label: 'My rooms',
    fetchPage: (offset, limit) => api.myRooms(offset, limit),
    render: roomItem,
    empty: 'You are not in any room yet. Create one below, or find an open one in the directory.',
  });
  main.append(
    h('h1', {}, 'My rooms'),
    invitations(rooms),
    h('section', { 'aria-label': 'Rooms you are in' }, rooms),
    createRoomForm());
}

/**
 * The rooms one is invited to, each with Accept (join, then open it) and Decline; shown only
 * while there are some.
 * @param {HTMLDivElement & { reset(): Promise<void> }} mine the list of one's rooms, read again after a choice
 */
function invitations(mine) {
  const status = h('p', { class: 'status', role: 'status' });
  const line = errorLine();
  /** @type {HTMLDivElement & { reset(): Promise<void> }} */
  const list = pagedList({
    label: 'Invitations',
    fetchPage: async (offset, limit) => {
      const page = await api.invites(offset, limit);
      section.hidden = page.invite_count === 0;
      return page;
    },
    render: (invitation) => {
      const name = userText(roomName(invitation.room.name));
      const choose = (/** @type {boolean} */ accept) => async () => {
        showError(line, null);
        try {
          if (accept) {
            await api.join(invitation.room_id);
            navigate(`#/room/${encodeURIComponent(invitation.room_id)}`);
            return;
          }
          await api.declineInvite(invitation.room_id);
          status.replaceChildren('You declined the invitation to ', userText(roomName(invitation.room.name)), '.');
          await Promise.all([list.reset(), mine.reset()]);
        } catch (/** @type {any} an ApiError */ error) {
          showError(line, error);
        }
      };
      return h('li', { class: 'room-item' },
        h('span', {}, name),
        h('span', { class: 'muted' }, `${invitation.room.open ? 'open' : 'closed'} · invited by `, userLabel(invitation.by)),
        h('span', { class: 'buttons' },
          h('button', { type: 'button', class: 'small primary', onclick: choose(true) }, 'Accept', h('span', { class: 'sr-only' }, ' ', userText(roomName(invitation.room.name)))),
          h('button', { type: 'button', class: 'small', onclick: choose(false) }, 'Decline', h('span', { class: 'sr-only' }, ' ', userText(roomName(invitation.room.name))))));
    },
    empty: 'No invitations.',
  });
  const section = h('section', { class: 'card', 'aria-labelledby': 'invitations-title', hidden: true },
    h('h2', { id: 'invitations-title' }, 'Invitations'),
    h('p', { class: 'muted' }, 'Nobody enters a room without saying yes: accept to join, or decline.'),
    list, status, line);
  return section;
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
