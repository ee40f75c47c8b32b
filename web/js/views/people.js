// Who is in a room, and what admins and the owner can do about it: the members and admins
// (paged), adding people by user id, kicking, banning and unbanning, granting and revoking
// admin, and handing the room over.

import * as api from '../api.js';
import { append, h } from '../dom.js';
import { confirmDialog, field, pagedList, userLabel } from '../ui.js';

/**
 * `room`: { id, me, info (GET /room), role ('owner' | 'admin' | 'member' | 'outsider'),
 * admins (a Set of admin ids), act(scope, doneMessage, action) (runs a change, reports it and
 * re-reads the room) }.
 */
export function peoplePanel(room) {
  const isAdmin = room.role === 'owner' || room.role === 'admin';
  const act = room.act;

  function roleOf(userId) {
    if (userId === room.info.owner) return 'owner';
    return room.admins.has(userId) ? 'admin' : 'member';
  }

  /** The buttons the caller may use on one member, as the API's rules allow. */
  function memberActions(userId, li) {
    const target = roleOf(userId);
    const self = userId === room.me;
    const buttons = [];
    const names = [];
    const button = (text, done, action, confirm) => {
      const name = h('span', { class: 'sr-only' });
      names.push(name);
      buttons.push(h('button', {
        type: 'button',
        class: 'small',
        onclick: async () => {
          if (confirm && !(await confirmDialog(confirm(), text))) return;
          act(li, done(), action);
        },
      }, text, name));
    };
    let known = userId;
    const who = () => known;
    const mayModerate = !self && (room.role === 'owner' || (room.role === 'admin' && target === 'member'));
    if (mayModerate) {
      button('Kick', () => `${who()} was removed from the room.`, () => api.removeMember(room.id, userId));
      button('Ban', () => `${who()} is banned.`, () => api.ban(room.id, userId));
    }
    if (room.role === 'owner' && !self) {
      if (target === 'admin') button('Revoke admin', () => `${who()} is no longer an admin.`, () => api.demote(room.id, userId));
      else button('Make admin', () => `${who()} is now an admin.`, () => api.promote(room.id, userId));
      button('Make owner', () => `${who()} now owns the room.`, () => api.handOver(room.id, userId),
        () => `Hand the room over to ${who()}? You stay an admin, but only the new owner can undo this.`);
    }
    if (self && room.role === 'admin') {
      button('Step down', () => 'You are no longer an admin.', () => api.demote(room.id, userId),
        () => 'Stop being an admin of this room? Only the owner can make you one again.');
    }
    return { buttons, rename: (name) => { known = name; names.forEach((span) => { span.textContent = ` ${name}`; }); } };
  }

  function memberItem(userId) {
    const li = h('li', { class: 'person' });
    const { buttons, rename } = memberActions(userId, li);
    const role = roleOf(userId);
    append(li, [
      h('span', { class: 'who' }, userLabel(userId, rename),
        role !== 'member' && h('span', { class: `badge ${role}` }, role),
        userId === room.me && h('span', { class: 'badge' }, 'you')),
      buttons.length > 0 && h('span', { class: 'buttons' }, buttons)]);
    return li;
  }

  const members = pagedList({
    label: 'Members',
    fetchPage: (offset, limit) => api.members(room.id, offset, limit),
    render: memberItem,
  });
  const admins = pagedList({
    label: 'Admins',
    fetchPage: (offset, limit) => api.admins(room.id, offset, limit),
    render: (userId) => h('li', { class: 'person' }, h('span', { class: 'who' }, userLabel(userId),
      userId === room.info.owner && h('span', { class: 'badge owner' }, 'owner'))),
  });

  return h('section', { class: 'panel people', 'aria-labelledby': 'people-title' },
    h('h2', { id: 'people-title' }, 'People'),
    h('h3', {}, 'Members'), members,
    h('h3', {}, 'Admins'), admins,
    isAdmin && manageForm(room, act),
    isAdmin && bansList(room, act));
}

/** Admins: act on anyone by user id: add them (the only way into a closed room) or ban them. */
function manageForm(room, act) {
  const userId = field('User id', { name: 'user_id', required: true, autocomplete: 'off', spellcheck: 'false', class: 'mono' },
    'People share their user id from their account page.');
  const form = h('form', { class: 'manage', 'aria-labelledby': 'manage-title' },
    h('h3', { id: 'manage-title' }, 'Add or ban someone'),
    userId,
    h('div', { class: 'actions' },
      h('button', { type: 'submit', value: 'add', class: 'primary' }, 'Add to room'),
      h('button', { type: 'submit', value: 'ban' }, 'Ban')));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const id = userId.control.value.trim();
    const ban = event.submitter?.value === 'ban';
    act(form, ban ? 'Banned.' : 'Added to the room.', async () => {
      await (ban ? api.ban(room.id, id) : api.addMember(room.id, id));
      userId.control.value = '';
    });
  });
  return form;
}

/** Admins: who is banned, each with an Unban button. */
function bansList(room, act) {
  const list = pagedList({
    label: 'Banned',
    fetchPage: (offset, limit) => api.bans(room.id, offset, limit),
    render: (userId) => {
      const name = h('span', { class: 'sr-only' });
      const li = h('li', { class: 'person' });
      li.append(
        h('span', { class: 'who' }, userLabel(userId, (found) => { name.textContent = ` ${found}`; })),
        h('span', { class: 'buttons' }, h('button', {
          type: 'button', class: 'small', onclick: () => act(li, 'Unbanned.', () => api.unban(room.id, userId)),
        }, 'Unban', name)));
      return li;
    },
    empty: 'Nobody is banned.',
  });
  return h('div', {}, h('h3', {}, 'Banned'), list);
}
