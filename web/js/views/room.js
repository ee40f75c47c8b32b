// One room: its name, owner and member count, the conversation, the people in it, and the
// settings its admins and owner can change. The room view alone holds what is known of the
// room: it hands that down to its parts, which send up what the person asked for as events.
// Everything here stops when the view closes.

import * as api from '../api.js';
import { emit, fill, h } from '../dom.js';
import * as session from '../session.js';
import { busy, confirmDialog, errorLine, flash, isolated, navigate, roomName, userLabel, userText } from '../ui.js';
import { CLOSE, openLive } from '../live.js';
import { afterEvent, fromHello } from '../room-state.js';
import { createChat } from './messages.js';
import { peoplePanel } from './people.js';
import { settingsPanel } from './settings.js';

/**
 * What the room view knows of its room, handed down to each of its parts (head, conversation,
 * people, settings) by their `update(state)`. A new frozen object after every read, so that
 * no part can change what the others are shown.
 * @typedef {object} RoomState
 * @property {string} id the room's id
 * @property {string} me the person's user id
 * @property {import('../api.js').Room} info the room, as GET /room/{id} answers
 * @property {'owner' | 'admin' | 'member' | 'outsider'} role the person's standing in it
 * @property {Set<string>} admins the admins' user ids
 */
/** @typedef {Omit<RoomState, 'id' | 'me'>} Standing what one reading of the room finds */
/**
 * The detail of `chatrooms:change-room`.
 * @typedef {object} ChangeRequest
 * @property {HTMLElement} scope disabled while the request runs
 * @property {import('../dom.js').Child} done what to report once it succeeded
 * @property {() => Promise<unknown>} request the API call
 */

// The events the parts send up (they bubble to the room view), with their detail:
// - `chatrooms:change-room` { scope, done, request }: run `request()`, an API call, with the
//   controls in `scope` disabled, report `done`, then read the room again and hand it down.
// - `chatrooms:delete-room`: the owner confirmed that the room goes.
// - `chatrooms:join-room`, `chatrooms:leave-room`: the person asked to join, or to leave.
// - `chatrooms:post-refused`: a post was refused, so the person's standing may have changed.
// - `chatrooms:room-lost` { error }: the room stopped answering (deleted, or access lost).

// How often the room's own details (name, count, the person's standing) are read again while
// it has no live socket (with one, its events say every change at once).
const REFRESH_MS = 10_000;

const YOU_ARE = {
  owner: 'you own it',
  admin: 'you are an admin',
  member: 'you are a member',
  outsider: 'you are not a member',
};

/**
 * @param {HTMLElement} main
 * @param {string} roomId
 */
export function renderRoom(main, roomId) {
  const me = /** @type {import('../session.js').Session} the route needs a login */ (session.current()).user_id;
  /** @type {RoomState | null} */
  let state = null;
  /** @type {ReturnType<typeof createChat> | null} */
  let chat = null;
  /** @type {ReturnType<typeof openLive> | null} */
  let live = null;
  let stopped = false;
  // The person's own leaving or deleting, under way here: its event needs no notice.
  let leaving = false;
  let deleting = false;
  /** @type {any} setTimeout's id, or null: clearTimeout takes both (the DOM's types want a number) */
  let timer = null;

  const head = roomHead(me);
  // Outcomes of actions in the side panels; they survive the panels being drawn again.
  const status = h('p', { class: 'status', role: 'status', tabindex: -1 });
  const line = errorLine();
  line.tabIndex = -1;
  const people = peoplePanel();
  const settings = settingsPanel();
  const panels = h('div', { class: 'panels' }, people.element, settings.element);
  const side = h('div', { class: 'side', id: 'room-details' }, status, line, panels);
  const layout = h('div', { class: 'room-layout' });
  const view = h('div', { class: 'room' }, head.element, h('p', { class: 'loading' }, 'Loading the room…'), layout);
  // Where the conversation and the people and settings do not fit side by side (a phone, a
  // narrow window), they take turns: this button swaps them.
  head.details.addEventListener('click', () => {
    const open = !view.classList.contains('details-open');
    view.classList.toggle('details-open', open);
    head.details.setAttribute('aria-expanded', String(open));
  });
  main.append(view);

  view.addEventListener('chatrooms:change-room', (event) => change(/** @type {CustomEvent<ChangeRequest>} */ (event).detail));
  view.addEventListener('chatrooms:delete-room', () => deleteRoom());
  view.addEventListener('chatrooms:join-room', () => join());
  view.addEventListener('chatrooms:leave-room', () => leave());
  view.addEventListener('chatrooms:post-refused', () => refresh());
  view.addEventListener('chatrooms:room-lost', (event) => lost(/** @type {CustomEvent<{ error: import('../api.js').ApiError }>} */ (event).detail.error));

  /**
   * Hands a new reading of the room down to the head and the conversation; returns the one before.
   * @param {Standing} standing
   */
  function apply(standing) {
    const before = state;
    state = Object.freeze({ id: roomId, me, ...standing });
    head.update(state);
    /** @type {ReturnType<typeof createChat>} start() made it first */ (chat).update(state);
    return before;
  }

  function drawPanels() {
    stalePanels = false;
    people.update(/** @type {RoomState} start() has read the room */ (state));
    settings.update(/** @type {RoomState} start() has read the room */ (state));
  }

  // The lists are not drawn anew under a person using them (it would take their focus away):
  // they are once focus leaves them.
  let stalePanels = false;
  panels.addEventListener('focusout', (event) => {
    if (stalePanels && !panels.contains(/** @type {Node | null} */ (event.relatedTarget))) drawPanels();
  });

  /**
   * A new standing, from an event or a reading: drawn wherever it shows.
   * @param {Standing} standing
   */
  function show(standing) {
    const before = /** @type {RoomState} start() applied the first reading */ (apply(standing));
    const now = /** @type {RoomState} apply() has just set it */ (state);
    if (before.role !== now.role || peopleOf(now) !== peopleOf(before)) {
      if (panels.contains(document.activeElement)) stalePanels = true;
      else drawPanels();
    }
  }

  /** After a change made here: read the room again and draw everything that depends on it. */
  async function changed() {
    apply(await readStanding(roomId, me));
    drawPanels();
  }

  /**
   * Runs a change asked for by a side panel (`scope` is disabled meanwhile), reports `done`,
   * and redraws. Focus goes to the report, since the button pressed is drawn anew.
   * @param {ChangeRequest} detail
   */
  async function change({ scope, done, request }) {
    status.textContent = '';
    const ok = await busy(scope, line, async () => {
      await request();
      return true;
    });
    if (!ok) {
      if (!document.activeElement || document.activeElement === document.body) line.focus();
      return;
    }
    fill(status, done);
    try {
      await changed();
    } catch (/** @type {any} an ApiError, or what the browser threw */ error) {
      if (error.status === 404) return lost(error);
      line.textContent = error.message;
      line.hidden = false;
    }
    if (!document.activeElement || document.activeElement === document.body) status.focus();
  }

  async function join() {
    /** @type {ReturnType<typeof createChat>} start() made it */ (chat).clearErrors();
    await busy(view, head.line, async () => {
      await api.join(roomId);
      await changed();
      status.textContent = 'You joined the room.';
      document.getElementById('message-text')?.focus();
    });
  }

  async function leave() {
    const { open, name, kind } = /** @type {RoomState} start() has read the room */ (state).info;
    const question = kind === 'dm'
      ? 'Leave this direct message? The other person cannot write to you here until you message them again.'
      : ['Leave “', userText(roomName(name)), '”? It is closed: only an admin can add you back.'];
    if (!open && !(await confirmDialog(question, 'Leave room'))) return;
    leaving = true;
    await busy(head.element, head.line, async () => {
      try {
        await api.removeMember(roomId, me);
      } finally {
        leaving = false;
      }
      if (!open) {
        stop();
        flash(kind === 'dm' ? 'You left the direct message.' : ['You left “', userText(roomName(name)), '”.']);
        navigate('#/mine');
        return;
      }
      await changed();
      status.textContent = 'You left the room.';
    });
  }

  async function deleteRoom() {
    const name = roomName(/** @type {RoomState} start() has read the room */ (state).info.name);
    deleting = true;
    await busy(panels, line, async () => {
      try {
        await api.deleteRoom(roomId);
      } finally {
        deleting = false;
      }
      stop();
      flash(['The room “', userText(name), '” was deleted.']);
      navigate('#/mine');
    });
  }

  /**
   * The room stopped answering this person: deleted, or they were removed from a closed room.
   * @param {{ status: number, message: string, sessionEnded?: boolean }} error an ApiError, or one like it
   */
  function lost(error) {
    if (stopped || error.sessionEnded) return;
    stop();
    const message = error.status === 404
      ? 'You no longer have access to this room: it was deleted, or you were removed from it.'
      : error.message;
    showLost(main, state ? roomName(state.info.name) : 'Room', message);
  }

  /** @param {string} message */
  const gone = (message) => lost({ status: 0, message });

  /**
   * The person left, was removed or banned (here or elsewhere). A closed room is gone for them;
   * an open one they can still read.
   * @param {'left' | 'removed' | 'banned'} reason
   */
  function leftRoom(reason) {
    if (leaving) return;
    const info = /** @type {RoomState} */ (state).info;
    if (!info.open) {
      if (reason === 'left') return gone('You no longer have access to this room: you left it (in another tab or window).');
      return gone(`You no longer have access to this room: you were ${reason === 'banned' ? 'banned' : 'removed'} from it.`);
    }
    status.textContent = reason === 'left' ? 'You left the room (in another tab or window).'
      : reason === 'banned' ? 'You were banned from this room.' : 'You were removed from this room.';
  }

  /**
   * One persisted event (or `presence`, `typing`) of the room's live socket: what it changes is
   * drawn at once.
   * @param {import('../live.js').RoomFrame} frame
   */
  function onFrame(frame) {
    const { standing, happened } = afterEvent(/** @type {RoomState} start() has read the room */ (state), frame, me);
    if (happened && 'deleted' in happened) {
      if (!deleting) gone('You no longer have access to this room: it was deleted.');
      return;
    }
    if (happened && 'left' in happened) leftRoom(happened.left);
    // The conversation shows messages, presence and typing, and who left.
    if (!standing || frame.type === 'member_left') chat?.live(frame);
    if (!standing || stopped) return;
    if (happened && 'closed' in happened) {
      gone('You no longer have access to this room: it was closed, and you are not a member.');
      if (stopped) return;
    }
    show(standing);
  }

  /** @type {import('../live.js').LiveHandlers} */
  const handlers = {
    frame: onFrame,
    hello(hello) {
      chat?.openedAt(hello.you?.read_seq);
      const now = /** @type {RoomState} */ (state);
      const next = fromHello(now, hello, me);
      // Access lost while no socket was open (its member_left came before this one): said as
      // a reading of the room says it.
      if (now.role !== 'outsider' && next.role === 'outsider' && !leaving) {
        if (!next.info.open) return gone('You no longer have access to this room: you were removed from it.');
        status.textContent = 'You were removed from this room.';
      }
      show(next);
    },
    connected({ resumed }) {
      clearTimeout(timer);
      timer = null;
      chat?.connected({ resumed });
      // Events may have been missed: read the room again (the first reading is fresh).
      if (!resumed && connectedBefore) refresh(false);
      connectedBefore = true;
    },
    disconnected({ fallback }) {
      chat?.disconnected({ fallback });
      if (fallback && timer == null) timer = setTimeout(refresh, REFRESH_MS);
    },
    closed(code) {
      if (code === CLOSE.ROOM_DELETED && !deleting) gone('You no longer have access to this room: it was deleted.');
    },
    async unavailable() {
      // Either the room is gone for this person, or the server has no live socket for it.
      try {
        apply(await readStanding(roomId, me));
      } catch (/** @type {any} an ApiError */ error) {
        if (error.status === 404) return lost(error);
      }
      handlers.disconnected({ fallback: true });
    },
  };
  let connectedBefore = false;

  /**
   * Others change the room too: its name and count, and this person's own standing. Read
   * again every REFRESH_MS while the room has no live socket, and whenever it may have
   * missed events.
   */
  let refreshing = false;
  async function refresh(again = true) {
    if (refreshing) return;
    refreshing = true;
    clearTimeout(timer);
    timer = null;
    try {
      const next = await readStanding(roomId, me);
      if (stopped) return;
      const before = /** @type {RoomState} */ (state);
      show(next);
      if (before.role !== 'outsider' && next.role === 'outsider') status.textContent = 'You were removed from this room.';
    } catch (/** @type {any} an ApiError, or what the browser threw */ error) {
      if (error.status === 404) return lost(error);
      // Other failures show up in the conversation too; try again next time.
    } finally {
      refreshing = false;
      if (!stopped && again && !live?.live()) timer = setTimeout(refresh, REFRESH_MS);
    }
  }

  function stop() {
    stopped = true;
    clearTimeout(timer);
    live?.stop();
    chat?.stop();
  }

  async function start() {
    try {
      const first = await readStanding(roomId, me);
      if (stopped) return;
      // The conversation posts through the live connection, which posts by HTTP when it must.
      const transport = {
        send: (/** @type {string} */ text, /** @type {string[]} */ mentions, /** @type {string | null} */ replyTo,
          /** @type {string[]} */ files) =>
          /** @type {ReturnType<typeof openLive>} opened below */ (live).send(text, mentions, replyTo, files),
        typing: () => live?.typing(),
        read: (/** @type {number} */ seq) => live?.read(seq),
      };
      chat = createChat({ id: roomId, me, transport });
      view.querySelector('.loading')?.remove();
      fill(layout, chat.element, side);
      apply(first);
      drawPanels();
      live = openLive(roomId, handlers);
    } catch (/** @type {any} an ApiError, or what the browser threw */ error) {
      if (error.status === 404) {
        lost({ status: 0, message: 'This room does not exist, or it is closed and you are not a member.' });
      } else if (!error.sessionEnded) {
        lost(error);
      }
    }
  }

  start();
  return stop;
}

/**
 * The room as the API shows it to this person, and their standing in it.
 * @param {string} roomId
 * @param {import('../api.js').UserId} me
 * @returns {Promise<Standing>}
 */
async function readStanding(roomId, me) {
  const [info, present, admins] = await Promise.all([
    api.getRoom(roomId),
    api.membership(roomId, me).then((answer) => answer.present, (error) => {
      if (error.status === 404) return false; // never a member
      throw error;
    }),
    // There is no "my role" endpoint: the admins list says it (up to 500 admins).
    api.admins(roomId, 0, 500),
  ]);
  // A DM has no owner or admins: its two people are members.
  const role = info.kind === 'dm' ? (present ? 'member' : 'outsider')
    : info.owner === me ? 'owner' : !present ? 'outsider' : admins.users.includes(me) ? 'admin' : 'member';
  return { info, role, admins: new Set(admins.users) };
}

/**
 * What the people lists show; when it changes, they are drawn again.
 * @param {RoomState} state
 */
const peopleOf = (state) => `${state.info.owner} ${state.info.user_count} ${[...state.admins].sort()}`;

/**
 * The room's name, what it is and the person's standing, with Join or Leave (sent up as
 * `chatrooms:join-room` / `chatrooms:leave-room`); `line` shows what went wrong with those.
 * Returns { element, line, update(state) }.
 */
function roomHead(/** @type {string} */ me) {
  const title = h('h1', {}, 'Room');
  const meta = h('p', { class: 'room-meta' });
  // On a phone the rooms list is a screen of its own: the way back to it.
  const back = h('a', { class: 'back', href: '#/mine' }, h('span', { 'aria-hidden': 'true' }, '‹ '), 'All rooms');
  const details = h('button', { type: 'button', class: 'details-toggle small', 'aria-expanded': 'false', 'aria-controls': 'room-details' }, 'People and settings');
  const actions = h('span', { class: 'row' });
  const line = errorLine();
  /** @type {(type: string) => (event: Event) => void} */
  const ask = (type) => (event) => emit(/** @type {EventTarget} a listener's element */ (event.currentTarget), type);

  /** @param {RoomState} state */
  function update({ info, role }) {
    if (info.kind === 'dm') {
      // A DM has no name: it is the other person's.
      const other = info.people?.find((id) => id !== me);
      const named = (/** @type {string} */ name) => { document.title = `${isolated(name)} · chatrooms`; };
      fill(title, 'Direct message', other && [' with ', userLabel(other, named)]);
      if (!other) document.title = 'Direct message · chatrooms';
      fill(meta, info.user_count === 2 ? 'You both are in it' : 'Waiting for the other person', ` · ${YOU_ARE[role]}`);
    } else {
      fill(title, userText(roomName(info.name)));
      document.title = `${isolated(roomName(info.name))} · chatrooms`;
      fill(meta,
        `${info.open ? 'Open' : 'Closed'} room · ${info.user_count} ${info.user_count === 1 ? 'member' : 'members'} · owner `,
        userLabel(info.owner), ` · ${YOU_ARE[role]}`);
    }
    // Redrawn only when they change, so that the periodic refresh never takes focus away.
    const drawn = `${role} ${info.open}`;
    if (actions.dataset.for === drawn) return;
    actions.dataset.for = drawn;
    if (role === 'outsider') {
      fill(actions, info.open && h('button', { type: 'button', class: 'primary', onclick: ask('chatrooms:join-room') }, 'Join room'));
    } else if (role === 'owner') {
      fill(actions);
    } else {
      fill(actions, h('button', { type: 'button', onclick: ask('chatrooms:leave-room') }, 'Leave room'));
    }
  }
  return {
    element: h('div', { class: 'room-head' }, back, title, meta, h('div', { class: 'actions' }, actions, details), line),
    line,
    details,
    update,
  };
}

/**
 * In place of the room: why it is gone, and the way back.
 * @param {HTMLElement} main
 * @param {string} name
 * @param {string} message
 */
function showLost(main, name, message) {
  const heading = h('h1', { tabindex: -1 }, userText(name));
  fill(main, heading,
    h('p', { class: 'error', role: 'alert' }, message),
    h('p', {}, h('a', { href: '#/mine' }, 'Back to my rooms')));
  heading.focus();
}
