// Who is in a room, and what admins and the owner can do about it: the members and admins
// (paged), adding people by handle (found as one types), kicking, banning and unbanning, granting and revoking
// admin, and handing the room over.

import * as api from '../api.js';
import { append, emit, fill, h } from '../dom.js';
import { confirmDialog, field, flash, handleOf, navigate, pagedList, userLabel, userText } from '../ui.js';

/**
 * The people panel: `update(state)` draws it for a RoomState (room.js). Every change it offers
 * goes up as `chatrooms:change-room`, for the room view to run and report.
 * Returns { element, update(state) }.
 */
export function peoplePanel() {
  const element = h('section', { class: 'panel people', 'aria-labelledby': 'people-title' });
  // From the panel, which outlives its lists: a list may be drawn anew while a dialog asks.
  /** @type {Change} */
  const change = (scope, done, request) => emit(element, 'chatrooms:change-room', { scope, done, request });
  const members = h('div');
  const admins = h('div');
  const manage = h('div');
  const bans = h('div');
  fill(element, h('h2', { id: 'people-title' }, 'People'), h('h3', {}, 'Members'), members, admins, manage, bans);

  /** @param {import('./room.js').RoomState} state */
  function update(state) {
    const isAdmin = state.role === 'owner' || state.role === 'admin';
    fill(members, membersList(state, change));
    // A DM has no admins to list.
    fill(admins, state.info.kind !== 'dm' && [h('h3', {}, 'Admins'), adminsList(state)]);
    fill(bans, isAdmin && bansList(state, change));
    // The form is drawn anew only when the person gains or loses it: others joining or being
    // promoted (the room's events) must not throw away a user id half typed.
    const drawn = isAdmin ? 'admin' : 'none';
    if (manage.dataset.for === drawn) return;
    manage.dataset.for = drawn;
    fill(manage, isAdmin && manageForm(state, change));
  }
  return { element, update };
}

/**
 * Sends a change up to the room view (room.js runs it): `scope` is disabled meanwhile, `done`
 * is reported once `request` succeeded.
 * @typedef {(scope: HTMLElement, done: import('../dom.js').Child, request: () => Promise<unknown>) => void} Change
 */

/**
 * Someone's standing in the room, as badges and the rules for buttons name it.
 * @param {import('./room.js').RoomState} state
 * @param {import('../api.js').UserId} userId
 */
function roleOf(state, userId) {
  if (state.info.kind === 'dm') return 'member';
  if (userId === state.info.owner) return 'owner';
  return state.admins.has(userId) ? 'admin' : 'member';
}

/**
 * Opens the direct message with someone (started now if there was none) and goes to it; what
 * went wrong, if anything did, shows in the flash.
 * @param {import('../api.js').UserId} userId
 */
export async function openDm(userId) {
  try {
    const { room_id } = await api.openDm(userId);
    navigate(`#/room/${encodeURIComponent(room_id)}`);
  } catch (/** @type {any} an ApiError */ error) {
    flash(error.message, 'error');
  }
}

/**
 * The buttons the caller may use on one member, as the API's rules allow.
 * @param {import('./room.js').RoomState} state
 * @param {Change} change
 * @param {import('../api.js').UserId} userId
 * @param {HTMLLIElement} li the member's line, disabled while a change runs
 */
function memberActions(state, change, userId, li) {
  const target = roleOf(state, userId);
  const self = userId === state.me;
  /** @type {HTMLButtonElement[]} */
  const buttons = [];
  /** @type {HTMLSpanElement[]} */
  const names = [];
  /** @typedef {import('../dom.js').Child} Child */
  /** @type {(text: string, done: () => Child, request: () => Promise<unknown>, confirm?: () => Child) => void} */
  const button = (text, done, request, confirm) => {
    const name = h('span', { class: 'sr-only' });
    names.push(name);
    buttons.push(h('button', {
      type: 'button',
      class: 'small',
      onclick: async () => {
        if (confirm && !(await confirmDialog(confirm(), text))) return;
        change(li, done(), request);
      },
    }, text, name));
  };
  let known = userId;
  const who = () => userText(known);
  const roomId = state.id;
  const mayModerate = !self && (state.role === 'owner' || (state.role === 'admin' && target === 'member'));
  if (mayModerate) {
    button('Kick', () => [who(), ' was removed from the room.'], () => api.removeMember(roomId, userId));
    button('Ban', () => [who(), ' is banned.'], () => api.ban(roomId, userId));
  }
  if (state.role === 'owner' && !self) {
    if (target === 'admin') button('Revoke admin', () => [who(), ' is no longer an admin.'], () => api.demote(roomId, userId));
    else button('Make admin', () => [who(), ' is now an admin.'], () => api.promote(roomId, userId));
    button('Make owner', () => [who(), ' now owns the room.'], () => api.handOver(roomId, userId),
      () => ['Hand the room over to ', who(), '? You stay an admin, but only the new owner can undo this.']);
  }
  if (!self && state.info.kind !== 'dm') {
    // A direct message with them: theirs to accept.
    const name = h('span', { class: 'sr-only' });
    names.push(name);
    buttons.push(h('button', { type: 'button', class: 'small', onclick: () => openDm(userId) }, 'Message', name));
  }
  if (!self) {
    // Anyone may block anyone else: their messages are hidden, and they cannot reach one in a
    // direct message or invite one anywhere.
    const name = h('span', { class: 'sr-only' });
    names.push(name);
    const label = h('span', {}, 'Block');
    const toggle = h('button', { type: 'button', class: 'small', hidden: true }, label, name);
    api.blocked().then((set) => {
      const isBlocked = set.has(userId);
      label.textContent = isBlocked ? 'Unblock' : 'Block';
      toggle.hidden = false;
      toggle.onclick = () => change(li, [who(), isBlocked ? ' is unblocked.' : ' is blocked: their messages are hidden.'], async () => {
        await api.setBlocked(userId, !isBlocked);
        window.dispatchEvent(new Event('chatrooms:blocks-changed'));
      });
    }, () => {});
    buttons.push(toggle);
  }
  if (self && state.role === 'admin') {
    button('Step down', () => 'You are no longer an admin.', () => api.demote(roomId, userId),
      () => 'Stop being an admin of this room? Only the owner can make you one again.');
  }
  return { buttons, rename: (/** @type {string} */ name) => { known = name; names.forEach((span) => fill(span, ' ', userText(name))); } };
}

/**
 * @param {import('./room.js').RoomState} state
 * @param {Change} change
 */
function membersList(state, change) {
  /** @param {import('../api.js').UserId} userId */
  const memberItem = (userId) => {
    const li = h('li', { class: 'person' });
    const { buttons, rename } = memberActions(state, change, userId, li);
    const role = roleOf(state, userId);
    return append(li, [
      h('span', { class: 'who' }, userLabel(userId, rename),
        role !== 'member' && h('span', { class: `badge ${role}` }, role),
        userId === state.me && h('span', { class: 'badge' }, 'you')),
      buttons.length > 0 && h('span', { class: 'buttons' }, buttons)]);
  };
  return pagedList({ label: 'Members', fetchPage: (offset, limit) => api.members(state.id, offset, limit), render: memberItem });
}

/** @param {import('./room.js').RoomState} state */
function adminsList(state) {
  return pagedList({
    label: 'Admins',
    fetchPage: (offset, limit) => api.admins(state.id, offset, limit),
    render: (userId) => h('li', { class: 'person' }, h('span', { class: 'who' }, userLabel(userId),
      userId === state.info.owner && h('span', { class: 'badge owner' }, 'owner'))),
  });
}

/** People suggested at most while typing a handle. */
const SUGGESTIONS = 8;

/** Admins: act on anyone by handle: invite them (the only way into a closed room) or ban them. */
/**
 * @param {import('./room.js').RoomState} state
 * @param {Change} change
 */
function manageForm(state, change) {
  const suggestions = h('datalist', { id: `people-${state.id}` });
  const handle = field('Handle', {
    name: 'handle', required: true, autocomplete: 'off', spellcheck: 'false', autocapitalize: 'off',
    list: suggestions.id, maxlength: 33,
  }, 'Type the start of someone\'s handle: people whose handle starts with it are suggested.');
  const form = h('form', { class: 'manage', 'aria-labelledby': 'manage-title' },
    h('h3', { id: 'manage-title' }, 'Invite or ban someone'),
    handle, suggestions,
    h('div', { class: 'actions' },
      h('button', { type: 'submit', value: 'add', class: 'primary' }, 'Invite'),
      h('button', { type: 'submit', value: 'ban' }, 'Ban')));
  // Suggestions as one types: the latest answer only, a moment after the last key.
  let asked = 0;
  /** @type {any} setTimeout's id */
  let timer = null;
  handle.control.addEventListener('input', () => {
    clearTimeout(timer);
    const start = handleOf(handle.control.value).toLowerCase();
    if (start.length < 2 || !/^[a-z0-9._-]+$/.test(start)) return fill(suggestions);
    const ask = ++asked;
    timer = setTimeout(() => {
      api.findPeople(start, 0, SUGGESTIONS).then((found) => {
        if (ask !== asked) return;
        fill(suggestions, found.users.map((person) => h('option', { value: `@${person.handle}` }, api.displayName(person))));
      }, () => { /* no suggestions: typing the handle whole still works */ });
    }, 200);
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const wanted = handleOf(handle.control.value);
    const ban = /** @type {HTMLButtonElement | null} */ (event.submitter)?.value === 'ban';
    change(form, ban ? ['@', wanted, ' is banned.'] : ['@', wanted, ' is invited: they join when they accept.'], async () => {
      const person = await api.personByHandle(wanted);
      await (ban ? api.ban(state.id, person.user_id) : api.invite(state.id, person.user_id));
      handle.control.value = '';
      fill(suggestions);
    });
  });
  return form;
}

/** Admins: who is banned, each with an Unban button. */
/**
 * @param {import('./room.js').RoomState} state
 * @param {Change} change
 */
function bansList(state, change) {
  const list = pagedList({
    label: 'Banned',
    fetchPage: (offset, limit) => api.bans(state.id, offset, limit),
    render: (userId) => {
      const name = h('span', { class: 'sr-only' });
      const li = h('li', { class: 'person' });
      li.append(
        h('span', { class: 'who' }, userLabel(userId, (found) => fill(name, ' ', userText(found)))),
        h('span', { class: 'buttons' }, h('button', {
          type: 'button', class: 'small', onclick: () => change(li, 'Unbanned.', () => api.unban(state.id, userId)),
        }, 'Unban', name)));
      return li;
    },
    empty: 'Nobody is banned.',
  });
  return h('div', {}, h('h3', {}, 'Banned'), list);
}
