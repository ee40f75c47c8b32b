// A room's settings, for its admins: renaming it, closing it, and, for the owner, opening a
// closed room and deleting it. Handing it over is a button next to the new owner, in the people panel.

import * as api from '../api.js';
import { emit, fill, h } from '../dom.js';
import { confirmDialog, field, roomName, userText } from '../ui.js';

/**
 * The settings panel: `update(state)` draws it for a RoomState (room.js), or hides it from
 * people who are not admins. Saving goes up as `chatrooms:change-room`, deleting (once
 * confirmed) as `chatrooms:delete-room`. Returns { element, update(state) }.
 */
export function settingsPanel() {
  const element = h('section', { class: 'panel', 'aria-labelledby': 'settings-title', hidden: true });

  /** @param {import('./room.js').RoomState} state */
  function update(state) {
    const isAdmin = state.role === 'owner' || state.role === 'admin';
    // Drawn anew only when what it shows changes, so that others' changes to the room (its
    // events) never throw away a name half typed.
    const drawn = `${state.role} ${state.info.open} ${state.info.name}`;
    if (element.dataset.for === drawn) return;
    element.dataset.for = drawn;
    element.hidden = !isAdmin;
    fill(element, isAdmin && [
      h('h2', { id: 'settings-title' }, 'Room settings'),
      settingsForm(state, element),
      state.role === 'owner' && deleteZone(state, element)]);
  }
  return { element, update };
}

/**
 * @param {import('./room.js').RoomState} state
 * @param {HTMLElement} panel where the events go up from
 */
function settingsForm(state, panel) {
  const { info } = state;
  const name = field('Name', { name: 'name', maxlength: 100, value: info.name, autocomplete: 'off' });
  // Opening a closed room publishes its history: the server leaves that to the owner.
  const mayOpen = info.open || state.role === 'owner';
  /** @type {(value: string, label: string, checked: boolean, disabled?: boolean) => HTMLLabelElement} */
  const choice = (value, label, checked, disabled = false) => h('label', { class: 'choice' },
    h('input', { type: 'radio', name: 'open', value, checked, disabled }), ` ${label}`);
  const form = h('form', { class: 'settings' },
    name,
    h('fieldset', {}, h('legend', {}, 'Who can join'),
      choice('true', 'Open: listed, anyone can join', info.open, !mayOpen),
      choice('false', 'Closed: unlisted, members only', !info.open),
      !mayOpen && h('p', { class: 'muted' }, 'Only the owner can open a closed room.')),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Save settings')));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const changes = { name: /** @type {string} a text field */ (data.get('name')).trim(), open: data.get('open') === 'true' };
    emit(panel, 'chatrooms:change-room', { scope: form, done: 'Settings saved.', request: () => api.updateRoom(state.id, changes) });
  });
  return form;
}

/**
 * @param {import('./room.js').RoomState} state
 * @param {HTMLElement} panel where the events go up from
 */
function deleteZone(state, panel) {
  const remove = async () => {
    const question = ['Delete “', userText(roomName(state.info.name)), '” with all its messages? This cannot be undone.'];
    if (await confirmDialog(question, 'Delete room')) emit(panel, 'chatrooms:delete-room');
  };
  return h('div', { class: 'danger-zone' },
    h('h3', {}, 'Delete the room'),
    h('p', { class: 'muted' }, 'Deletes every message, membership and ban. To keep the room but pass it on, use “Make owner” next to a member.'),
    h('button', { type: 'button', class: 'danger', onclick: remove }, 'Delete room'));
}
