// One room: its name, owner and member count, the conversation, the people in it, and the
// settings its admins and owner can change. Everything here stops when the view closes.

import * as api from '../api.js';
import { fill, h } from '../dom.js';
import * as session from '../session.js';
import { busy, confirmDialog, errorLine, field, flash, navigate, roomName, userLabel } from '../ui.js';
import { createChat } from './messages.js';
import { peoplePanel } from './people.js';

// How often the room's own details (name, count, the person's standing) are read again; new
// messages are polled much more often, in messages.js.
const REFRESH_MS = 10_000;

const YOU_ARE = {
  owner: 'you own it',
  admin: 'you are an admin',
  member: 'you are a member',
  outsider: 'you are not a member',
};

export function renderRoom(main, roomId) {
  const me = session.current().user_id;
  const room = { id: roomId, me, info: null, role: null, admins: new Set(), act, lost, recheck: () => refresh() };
  let chat = null;
  let stopped = false;
  let timer = null;

  const title = h('h1', {}, 'Room');
  const meta = h('p', { class: 'room-meta' });
  const headActions = h('div', { class: 'actions' });
  const headLine = errorLine();
  // Outcomes of actions in the side panels; they survive the panels being drawn again.
  const status = h('p', { class: 'status', role: 'status', tabindex: -1 });
  const line = errorLine();
  line.tabIndex = -1;
  const panels = h('div', { class: 'panels' });
  const side = h('div', { class: 'side' }, status, line, panels);
  const layout = h('div', { class: 'room-layout' });
  main.append(h('div', { class: 'room-head' }, title, meta, headActions, headLine),
    h('p', { class: 'loading' }, 'Loading the room…'), layout);

  /** The room as the API shows it to this person, and their standing in it. */
  async function readStanding() {
    const [info, present, admins] = await Promise.all([
      api.getRoom(roomId),
      api.membership(roomId, me).then((answer) => answer.present, (error) => {
        if (error.status === 404) return false; // never a member
        throw error;
      }),
      // There is no "my role" endpoint: the admins list says it (up to 500 admins).
      api.admins(roomId, 0, 500),
    ]);
    const role = info.owner === me ? 'owner' : !present ? 'outsider' : admins.users.includes(me) ? 'admin' : 'member';
    return { info, role, admins: new Set(admins.users) };
  }

  function renderHead() {
    const { info } = room;
    title.textContent = roomName(info.name);
    document.title = `${roomName(info.name)} · chatrooms`;
    fill(meta,
      `${info.open ? 'Open' : 'Closed'} room · ${info.user_count} ${info.user_count === 1 ? 'member' : 'members'} · owner `,
      userLabel(info.owner), ` · ${YOU_ARE[room.role]}`);
    // Redrawn only when they change, so that the periodic refresh never takes focus away.
    const actions = `${room.role} ${info.open}`;
    if (headActions.dataset.for === actions) return;
    headActions.dataset.for = actions;
    if (room.role === 'outsider') {
      fill(headActions, info.open && h('button', { type: 'button', class: 'primary', onclick: join }, 'Join room'));
    } else if (room.role === 'owner') {
      fill(headActions);
    } else {
      fill(headActions, h('button', { type: 'button', onclick: leave }, 'Leave room'));
    }
  }

  function renderPanels() {
    const isAdmin = room.role === 'owner' || room.role === 'admin';
    fill(panels, peoplePanel(room), isAdmin && settingsPanel());
  }

  function renderComposer() {
    if (room.role !== 'outsider') return chat.setComposer(true);
    chat.setComposer(h('p', { class: 'join-prompt' }, room.info.open
      ? ['You are reading an open room. ', h('button', { type: 'button', class: 'primary', onclick: join }, 'Join room'), ' to write in it.']
      : 'You are not a member of this room.'));
  }

  function apply(next) {
    const before = room.role;
    Object.assign(room, next);
    renderHead();
    if (before !== room.role) renderComposer();
    return before;
  }

  /** After a change made here: read the room again and draw everything that depends on it. */
  async function changed() {
    apply(await readStanding());
    renderPanels();
  }

  /**
   * Runs a change from the side panels (`scope` is disabled meanwhile), reports `done`, and
   * redraws. Focus goes to the report, since the button pressed is drawn anew.
   */
  async function act(scope, done, action) {
    status.textContent = '';
    const ok = await busy(scope, line, async () => {
      await action();
      return true;
    });
    if (!ok) {
      if (!document.activeElement || document.activeElement === document.body) line.focus();
      return;
    }
    status.textContent = done;
    try {
      await changed();
    } catch (error) {
      if (error.status === 404) return lost(error);
      line.textContent = error.message;
      line.hidden = false;
    }
    if (!document.activeElement || document.activeElement === document.body) status.focus();
  }

  async function join() {
    chat?.clearErrors();
    await busy(main, headLine, async () => {
      await api.join(roomId);
      await changed();
      status.textContent = 'You joined the room.';
      document.getElementById('message-text')?.focus();
    });
  }

  async function leave() {
    const name = roomName(room.info.name);
    if (!room.info.open && !(await confirmDialog(`Leave “${name}”? It is closed: only an admin can add you back.`, 'Leave room'))) return;
    await busy(headActions, headLine, async () => {
      await api.removeMember(roomId, me);
      if (!room.info.open) {
        stop();
        flash(`You left “${name}”.`);
        navigate('#/mine');
        return;
      }
      await changed();
      status.textContent = 'You left the room.';
    });
  }

  /** Admins rename, open or close the room; the owner can also delete it. */
  function settingsPanel() {
    const { info } = room;
    const name = field('Name', { name: 'name', maxlength: 100, value: info.name, autocomplete: 'off' });
    const choice = (value, label, checked) => h('label', { class: 'choice' },
      h('input', { type: 'radio', name: 'open', value, checked }), ` ${label}`);
    const form = h('form', { class: 'settings' },
      name,
      h('fieldset', {}, h('legend', {}, 'Who can join'),
        choice('true', 'Open: listed, anyone can join', info.open),
        choice('false', 'Closed: unlisted, members only', !info.open)),
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Save settings')));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const data = new FormData(form);
      act(form, 'Settings saved.', () => api.updateRoom(roomId, { name: data.get('name').trim(), open: data.get('open') === 'true' }));
    });

    const owner = room.role === 'owner' && h('div', { class: 'danger-zone' },
      h('h3', {}, 'Delete the room'),
      h('p', { class: 'muted' }, 'Deletes every message, membership and ban. To keep the room but pass it on, use “Make owner” next to a member.'),
      h('button', { type: 'button', class: 'danger', onclick: deleteRoom }, 'Delete room'));
    return h('section', { class: 'panel', 'aria-labelledby': 'settings-title' },
      h('h2', { id: 'settings-title' }, 'Room settings'), form, owner);
  }

  async function deleteRoom() {
    const name = roomName(room.info.name);
    if (!(await confirmDialog(`Delete “${name}” with all its messages? This cannot be undone.`, 'Delete room'))) return;
    await busy(panels, line, async () => {
      await api.deleteRoom(roomId);
      stop();
      flash(`The room “${name}” was deleted.`);
      navigate('#/mine');
    });
  }

  /** The room stopped answering this person: deleted, or they were removed from a closed room. */
  function lost(error) {
    if (stopped || error.sessionEnded) return;
    stop();
    const message = error.status === 404
      ? 'You no longer have access to this room: it was deleted, or you were removed from it.'
      : error.message;
    const heading = h('h1', { tabindex: -1 }, room.info ? roomName(room.info.name) : 'Room');
    fill(main, heading,
      h('p', { class: 'error', role: 'alert' }, message),
      h('p', {}, h('a', { href: '#/mine' }, 'Back to my rooms')));
    heading.focus();
  }

  /** Others change the room too: its name and count, and this person's own standing. */
  let refreshing = false;
  async function refresh() {
    if (refreshing) return;
    refreshing = true;
    clearTimeout(timer);
    try {
      const next = await readStanding();
      if (stopped) return;
      const people = (r) => `${r.info.owner} ${r.info.user_count} ${[...r.admins].sort()}`;
      const peopleBefore = people(room);
      const before = apply(next);
      if (before !== room.role) {
        if (before !== 'outsider' && room.role === 'outsider') status.textContent = 'You were removed from this room.';
        renderPanels();
      } else if (people(room) !== peopleBefore && !side.contains(document.activeElement)) {
        // Others joined, left or were promoted: redraw the lists, unless the person is using them.
        renderPanels();
      }
    } catch (error) {
      if (error.status === 404) return lost(error);
      // Other failures show up in the conversation's polling too; try again next time.
    } finally {
      refreshing = false;
      if (!stopped) timer = setTimeout(refresh, REFRESH_MS);
    }
  }

  function stop() {
    stopped = true;
    clearTimeout(timer);
    chat?.stop();
  }

  (async () => {
    try {
      const first = await readStanding();
      if (stopped) return;
      Object.assign(room, first);
      chat = createChat(room);
      main.querySelector('.loading')?.remove();
      fill(layout, chat.element, side);
      renderHead();
      renderComposer();
      renderPanels();
      timer = setTimeout(refresh, REFRESH_MS);
    } catch (error) {
      if (error.status === 404) {
        lost({ status: 0, message: 'This room does not exist, or it is closed and you are not a member.' });
      } else if (!error.sessionEnded) {
        lost(error);
      }
    }
  })();

  return stop;
}
