// A room's conversation: the history (newest at the bottom, older pages on scroll or with a
// button), new messages by polling, and the box to write in (or, for outsiders, why not).

import * as api from '../api.js';
import { emit, h } from '../dom.js';
import { busy, errorLine, showError, userLabel, when } from '../ui.js';

const PAGE = 50;
// New messages must show within 3 s: a poll every 1.5 s leaves room for a slow answer.
const POLL_MS = 1500;
// One poll takes at most this many new messages, and asks again at once when there were more.
const POLL_LIMIT = 100;

/**
 * The conversation of room `id`, as person `me` sees it. It sends up `chatrooms:room-lost`
 * when the room stops answering (403/404: deleted, or access lost), `chatrooms:post-refused`
 * when a post was refused, and `chatrooms:join-room` from the join prompt (see room.js).
 * Returns { element, stop(), update(state), clearErrors() }; `update` takes the RoomState.
 * @param {{ id: string, me: import('../api.js').UserId }} room
 */
export function createChat({ id: roomId, me }) {
  const seen = new Set();
  /** @type {string | null} */
  let newest = null; // the newest message id shown: what polling asks `after`
  /** @type {string | null | undefined} */
  let older; // the `next` cursor for the page before the oldest shown; null at the room's start
  let stopped = false;
/** @type {any} setTimeout's id, or null: clearTimeout takes both (the DOM's types want a number) */
  let timer = null;
  let polling = false;
  let pollAgain = false;

  const list = h('ol', { class: 'messages' });
  const olderButton = h('button', { type: 'button', class: 'older', hidden: true }, 'Load older messages');
  const start = h('p', { class: 'muted start', tabindex: -1, hidden: true }, 'This is the beginning of the room.');
  // Focusable, so that keyboard users can scroll the history with the arrow keys.
  const scroller = h('div', { class: 'scroller', tabindex: 0, role: 'region', 'aria-label': 'Message history' },
    olderButton, start, list);
  // New messages from others are read out here; the history itself is not a live region, or
  // loading an older page would be read out too.
  const announcer = h('p', { class: 'sr-only', 'aria-live': 'polite' });
  const line = errorLine(); // polling and paging failures
  // Posting failures: outside the composer, which is replaced when posting is refused.
  const sendLine = errorLine();
  const composerSlot = h('div', { class: 'composer-slot' });
  const element = h('section', { class: 'chat', 'aria-label': 'Conversation' }, scroller, announcer, line, sendLine, composerSlot);

  /** @param {import('../api.js').Message} message */
  function item(message) {
    return h('li', { class: message.user_id === me ? 'msg mine' : 'msg', 'data-id': message.message_id },
      h('p', { class: 'meta' },
        userLabel(message.user_id), ' ',
        h('time', { datetime: message.sent_at, title: new Date(message.sent_at).toLocaleString() }, when(message.sent_at))),
      // dir=auto: laid out in its own direction, and isolated (unicode-bidi: isolate) from the rest.
      h('p', { class: 'text', dir: 'auto' }, message.text));
  }

  const nearBottom = () => scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 80;
  const toBottom = () => { scroller.scrollTop = scroller.scrollHeight; };

  /**
   * Adds messages (oldest first) at the bottom; returns those not already shown.
   * @param {import('../api.js').Message[]} messages
   */
  function addNewer(messages) {
    const fresh = messages.filter((message) => !seen.has(message.message_id));
    if (!fresh.length) return fresh;
    const follow = nearBottom() || fresh.some((message) => message.user_id === me);
    fresh.forEach((message) => seen.add(message.message_id));
    list.append(...fresh.map(item));
    if (follow) toBottom();
    return fresh;
  }

  /** @param {string | null} next */
  function setOlder(next) {
    older = next;
    const hadFocus = document.activeElement === olderButton;
    olderButton.hidden = older == null;
    start.hidden = older != null;
    // The button disappears at the start of the room: keep keyboard focus nearby.
    if (hadFocus && older == null) start.focus();
  }

  async function loadOlder() {
    if (older == null || olderButton.disabled) return;
    await busy(olderButton, line, async () => {
      olderButton.disabled = true;
      olderButton.textContent = 'Loading older messages…';
      try {
        const page = await api.messages(roomId, { before: /** @type {string} not null: checked above */ (older), limit: PAGE });
        const messages = page.messages.filter((message) => !seen.has(message.message_id)).reverse();
        messages.forEach((message) => seen.add(message.message_id));
        // Keep what is on screen where it is while the page grows above it.
        const fromBottom = scroller.scrollHeight - scroller.scrollTop;
        list.prepend(...messages.map(item));
        scroller.scrollTop = scroller.scrollHeight - fromBottom;
        setOlder(page.next);
      } finally {
        olderButton.disabled = false;
        olderButton.textContent = 'Load older messages';
      }
    }).catch(() => {});
  }

  /** @param {import('../api.js').Message[]} messages */
  function announce(messages) {
    const others = messages.filter((message) => message.user_id !== me);
    const latest = others.at(-1);
    if (!latest) return;
    api.username(latest.user_id).catch(() => null).then((name) => {
      const text = latest.text.length > 200 ? `${latest.text.slice(0, 200)}…` : latest.text;
      const count = others.length > 1 ? `${others.length} new messages. Latest ` : 'New message ';
      announcer.textContent = `${count}from ${name ?? 'someone'}: ${text}`;
    });
  }

  /** Fetches what is newer than the newest message shown, until there is no more. */
  async function poll() {
    clearTimeout(timer);
    if (stopped) return;
    if (polling) {
      pollAgain = true;
      return;
    }
    polling = true;
    try {
      for (;;) {
        const page = newest
          ? await api.messages(roomId, { after: newest, limit: POLL_LIMIT })
          : await api.messages(roomId, { limit: PAGE });
        if (stopped) return;
        const messages = page.messages.slice().reverse();
        if (!newest && older === undefined) setOlder(page.next);
        if (messages.length) newest = /** @type {import('../api.js').Message} */ (messages.at(-1)).message_id;
        announce(addNewer(messages));
        if (!(newest && page.messages.length === POLL_LIMIT)) break;
      }
      showError(line, null);
    } catch (/** @type {any} an ApiError, or what the browser threw */ error) {
      if (error.status === 404 || error.status === 403) {
        stop();
        emit(element, 'chatrooms:room-lost', { error });
        return;
      }
      // A passing failure (network, 5xx): say so, and keep trying.
      showError(line, error);
    } finally {
      polling = false;
    }
    if (pollAgain) {
      pollAgain = false;
      poll();
    } else if (!stopped) {
      timer = setTimeout(poll, POLL_MS);
    }
  }

  function stop() {
    stopped = true;
    clearTimeout(timer);
    document.removeEventListener('visibilitychange', onVisible);
  }
  // Timers in hidden tabs are slowed down by the browser: catch up as soon as it is visible.
  const onVisible = () => { if (!document.hidden) poll(); };
  document.addEventListener('visibilitychange', onVisible);

  olderButton.addEventListener('click', loadOlder);
  // Reaching the top by scrolling loads the page before. Only a person's scrolling counts (wheel,
  // touch, keys, the scroll bar): scrolling the button into view to press it must not load a
  // page by itself, which would push the button away before the press.
  let scrolledByPerson = 0;
  const personScrolls = () => { scrolledByPerson = Date.now(); };
  for (const type of ['wheel', 'touchmove', 'keydown', 'pointerdown']) {
    scroller.addEventListener(type, personScrolls, { passive: true });
  }
  scroller.addEventListener('scroll', () => {
    if (scroller.scrollTop < 40 && Date.now() - scrolledByPerson < 1000) loadOlder();
  });

  /** The box to write in (for present members). */
  function composer() {
    const id = 'message-text';
    const text = h('textarea', { id, name: 'text', rows: 2, maxlength: 4000, required: true, 'aria-describedby': `${id}-hint` });
    const form = h('form', { class: 'composer' },
      h('label', { for: id }, 'Message'),
      h('div', { class: 'row' }, text, h('button', { type: 'submit', class: 'primary' }, 'Send')),
      h('p', { class: 'hint', id: `${id}-hint` }, 'Enter sends; Shift+Enter starts a new line.'));
    const send = async () => {
      if (!text.value.trim()) return;
      await busy(form, sendLine, async () => {
        try {
          await api.post(roomId, text.value);
        } catch (/** @type {any} an ApiError, or what the browser threw */ error) {
          // Refused: the person was removed or banned meanwhile. The room view finds out how.
          if (error.status === 403 || error.status === 404) emit(element, 'chatrooms:post-refused');
          throw error;
        }
        text.value = '';
        // The poll shows it in its place among messages others sent meanwhile.
        poll();
      });
      text.focus();
    };
    form.addEventListener('submit', (event) => { event.preventDefault(); send(); });
    text.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        send();
      }
    });
    return form;
  }

  /** Outsiders get no writing box: a join button for an open room, or why not for a closed one. */
  /** @param {boolean} open */
  function joinPrompt(open) {
    if (!open) return h('p', { class: 'join-prompt' }, 'You are not a member of this room.');
    const join = h('button', { type: 'button', class: 'primary' }, 'Join room');
    join.addEventListener('click', () => emit(join, 'chatrooms:join-room'));
    return h('p', { class: 'join-prompt' }, 'You are reading an open room. ', join, ' to write in it.');
  }

  // The box is drawn anew only when the person's standing changes, so that a refresh of the
  // room never throws away what they are typing.
  /** @type {import('./room.js').RoomState['role'] | null} */
  let role = null;
  /** @param {import('./room.js').RoomState} state */
  function update(state) {
    if (state.role === role) return;
    role = state.role;
    composerSlot.replaceChildren(role === 'outsider' ? joinPrompt(state.info.open) : composer());
  }

  poll().then(toBottom);
  return {
    element,
    stop,
    update,
    /** Forgets a refused post's message once the person acts on it (joins again, say). */
    clearErrors() {
      showError(sendLine, null);
    },
  };
}
