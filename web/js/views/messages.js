// A room's conversation: the history (newest at the bottom, older pages on scroll or with a
// button), what the live socket brings (messages, edits, deletions, who is typing, who is here),
// polling only while no socket can be had, and what is posted from the box to write in
// (composer.js, or, for outsiders, why not).

import * as api from '../api.js';
import { emit, fill, h } from '../dom.js';
import { actionMenu, busy, confirmDialog, errorLine, showError, timeOf, userLabel, userText } from '../ui.js';
import { composer, joinPrompt } from './composer.js';
import { fileList } from './files.js';
import { afterReaction, reactionPicker, reactionRow } from './reactions.js';
import { createSearch } from './search.js';
import { createThread } from './thread.js';

const PAGE = 50;
// Without a socket, new messages must still show within 3 s: a poll every 1.5 s leaves room
// for a slow answer.
const POLL_MS = 1500;
// One poll takes at most this many new messages, and asks again at once when there were more.
const POLL_LIMIT = 100;
// How long "… is typing" stays after the last `typing` (the sender repeats it every 2 s).
const TYPING_SHOWN_MS = 4_000;
// How long the history waits for the live socket before it is read without it.
const EARLY_LOAD_MS = 1_500;

/** @typedef {import('../api.js').HistoryItem} HistoryItem */
/** @typedef {import('../api.js').Message} Message */

/**
 * How the conversation posts and says the person is typing: the room's live connection
 * (live.js), which falls back to HTTP by itself.
 * @typedef {object} Transport
 * @property {(text: string, mentions: string[], replyTo: string | null, files: string[]) => Promise<Message>} send
 * @property {() => void} typing
 * @property {(seq: number) => void} read the person has been shown the room up to `seq`
 */

/**
 * The conversation of room `id`, as person `me` sees it. It sends up `chatrooms:room-lost`
 * when the room stops answering (403/404: deleted, or access lost), `chatrooms:post-refused`
 * when a post was refused, and `chatrooms:join-room` from the join prompt (see room.js).
 * The room view hands it the live connection's news: `live(frame)` for each event,
 * `connected({ resumed })` and `disconnected({ fallback })`.
 * @param {{ id: string, me: import('../api.js').UserId, transport: Transport }} room
 */
export function createChat({ id: roomId, me, transport }) {
  /**
   * Every message shown, by id, with its element.
   * @type {Map<string, { li: HTMLLIElement, message: HistoryItem, editing: boolean }>}
   */
  const shown = new Map();
  /** @type {string | null} */
  let newest = null; // the newest message id shown: what polling asks `after`
  /** @type {string | null | undefined} */
  let older; // the `next` cursor for the page before the oldest shown; null at the room's start
  let loaded = false;
  let stopped = false;
  // When a person last scrolled (wheel, touch, keys, the scroll bar): only their scrolling to the
  // top loads the page before; 0 once a load has answered that gesture.
  let scrolledByPerson = 0;
  let polling = false; // the room has no socket: poll
  /** @type {any} setTimeout's id, or null: clearTimeout takes both (the DOM's types want a number) */
  let timer = null;
  let inPoll = false;
  let pollAgain = false;
  /** @type {import('./room.js').RoomState | null} */
  let state = null;
  // Events and reloads run one after the other, in the order they came: an event that arrives
  // while the history loads is applied to the history once it is there.
  /** @type {Promise<unknown>} */
  let queue = Promise.resolve();
  /** @param {() => unknown} task */
  const enqueue = (task) => {
    queue = queue.then(() => (stopped ? null : task())).catch(failed);
    return queue;
  };

  const list = h('ol', { class: 'messages' });
  const olderButton = h('button', { type: 'button', class: 'older', hidden: true }, 'Load older messages');
  const start = h('p', { class: 'muted start', tabindex: -1, hidden: true }, 'This is the beginning of the room.');
  // Focusable, so that keyboard users can scroll the history with the arrow keys.
  const scroller = h('div', { class: 'scroller', tabindex: 0, role: 'region', 'aria-label': 'Message history' },
    olderButton, start, list);
  // What the person has been shown moves their read position: a message counts once at least
  // half of it (or half the history's height) was on screen while the page was in view.
  /** @type {Set<HTMLElement>} */
  const onScreen = new Set();
  const watcher = new IntersectionObserver((entries) => {
    for (const entry of entries) {
      const li = /** @type {HTMLElement} */ (entry.target);
      const half = Math.min(entry.boundingClientRect.height, entry.rootBounds?.height ?? Infinity) / 2;
      if (entry.isIntersecting && entry.intersectionRect.height >= half) onScreen.add(li);
      else onScreen.delete(li);
    }
    shownUpTo();
  }, { root: scroller, threshold: [0, 0.25, 0.5, 0.75, 1] });
  function shownUpTo() {
    if (document.hidden || !present()) return;
    let upTo = 0;
    for (const li of onScreen) {
      if (li.isConnected && !li.classList.contains('pending')) upTo = Math.max(upTo, Number(li.dataset.seq) || 0);
    }
    if (upTo > 0) transport.read(upTo);
  }
  document.addEventListener('visibilitychange', shownUpTo);

  // New messages from others are read out here; the history itself is not a live region, or
  // loading an older page would be read out too.
  const announcer = h('p', { class: 'sr-only', 'aria-live': 'polite' });
  const here = h('ul', { class: 'here-list', 'aria-label': 'Here now' });
  const presence = h('div', { class: 'presence', hidden: true }, h('span', { class: 'muted' }, 'Here now: '), here);
  // Not a live region: typing comes every 2 s, and reading it out each time would drown the rest.
  const typingLine = h('p', { class: 'typing muted' });
  const connection = h('p', { class: 'connection muted', role: 'status' });
  const line = errorLine(); // loading, polling and paging failures
  // Posting failures: outside the composer, which is replaced when posting is refused.
  const sendLine = errorLine();
  const composerSlot = h('div', { class: 'composer-slot' });
  /** @type {ReturnType<typeof composer> | null} the box to write in, while the person may write */
  let writer = null;
  const finder = createSearch({ roomId, show: showInContext });
  const element = h('section', { class: 'chat', 'aria-label': 'Conversation' },
    finder.element, presence, scroller, typingLine, announcer, connection, line, sendLine, composerSlot);

  /** @param {unknown} error */
  function failed(error) {
    const status = /** @type {any} */ (error)?.status;
    if (status === 404 || status === 403) {
      stop();
      emit(element, 'chatrooms:room-lost', { error });
      return;
    }
    // A passing failure (network, 5xx): say so, and keep trying.
    showError(line, error);
  }

  // Messages of people the person blocked are hidden behind a Show button (the ids shown anyway).
  /** @type {Set<import('../api.js').UserId>} */
  let blocked = new Set();
  /** @type {Set<string>} */
  const revealed = new Set();
  const redrawAll = () => { for (const entry of shown.values()) if (!entry.editing) draw(entry.li, entry.message); };
  const readBlocks = () => api.blocked().then((set) => { blocked = set; redrawAll(); });
  readBlocks();
  window.addEventListener('chatrooms:blocks-changed', readBlocks);

  const mayModerate = () => state?.role === 'owner' || state?.role === 'admin';
  const present = () => state != null && state.role !== 'outsider';

  /** @param {HistoryItem} message */
  function item(message) {
    const li = h('li', { class: 'msg', 'data-id': message.message_id, 'data-seq': message.seq });
    draw(li, message);
    watcher.observe(li);
    return li;
  }

  /**
   * (Re)draws one message in its element: its author, time, text and the buttons the person
   * may use on it, or "message deleted".
   * @param {HTMLLIElement} li
   * @param {HistoryItem} message
   */
  function draw(li, message) {
    if ('deleted' in message) {
      li.className = 'msg deleted';
      fill(li, h('p', { class: 'text', tabindex: -1 }, 'message deleted'), threadLine(message));
      return;
    }
    if (blocked.has(message.user_id) && !revealed.has(message.message_id)) {
      li.className = 'msg hidden-message';
      fill(li, h('p', { class: 'meta' }, 'A message from someone you blocked. ',
        h('button', { type: 'button', class: 'tiny', onclick: () => {
          revealed.add(message.message_id);
          draw(li, message);
          /** @type {HTMLElement | null} */ (li.querySelector('.text'))?.focus();
        } }, 'Show')));
      return;
    }
    const mine = message.user_id === me;
    // A message that mentions the person (by id, or the whole room) stands out, and says so.
    const mentionsMe = !mine && (message.mention_room || message.mentions.includes(me));
    li.className = mine ? 'msg mine' : mentionsMe ? 'msg mentions-me' : 'msg';
    /** @type {[string, () => void][]} */
    const actions = [];
    if (present()) {
      actions.push(['Reply', () => writer?.replyTo(message)], ['Reply in thread', () => openThread(message.message_id, true)],
        ['React', () => pick(message.message_id)]);
    }
    if (mine && present()) actions.push(['Edit', () => edit(message.message_id)]);
    if ((mine && present()) || mayModerate()) actions.push(['Delete', () => remove(message.message_id)]);
    // Which message the menu acts on, for screen readers: "Actions" alone would not say.
    const textId = `text-${message.message_id}`;
    fill(li,
      h('p', { class: 'meta' },
        userLabel(message.user_id), ' ',
        timeOf(message.sent_at),
        message.edited_at && h('span', { class: 'edited', title: `Edited ${new Date(message.edited_at).toLocaleString()}` }, ' · edited'),
        mentionsMe && h('span', { class: 'badge mention' }, message.mention_room ? 'mentions everyone' : 'mentions you'),
        actions.length > 0 && actionMenu('Actions', textId, actions)),
      message.reply_to && quote(message.reply_to),
      // dir=auto: laid out in its own direction, and isolated (unicode-bidi: isolate) from the rest.
      h('p', { class: 'text', dir: 'auto', id: textId, tabindex: -1 }, message.text),
      fileList(roomId, message.files ?? []),
      reactions(message),
      threadLine(message));
  }

  /**
   * How many replies a message's thread has, and when the last came; nothing without one.
   * @param {HistoryItem} message
   */
  function threadLine({ message_id: messageId, thread }) {
    if (!thread || thread.reply_count === 0) return null;
    const replies = thread.reply_count === 1 ? '1 reply' : `${thread.reply_count} replies`;
    return h('p', { class: 'thread-line' },
      h('button', { type: 'button', class: 'tiny open-thread', 'aria-expanded': String(openThreadId() === messageId), onclick: () => openThread(messageId, false) },
        `${replies} in its thread, the last `, timeOf(thread.last_reply_at)));
  }

  /** @type {ReturnType<typeof createThread> | null} the thread open beside the conversation */
  let thread = null;
  const openThreadId = () => thread?.rootId ?? null;

  /**
   * Opens the thread of message `rootId` in its panel (in place of another); `write` puts the
   * focus in its box to reply in.
   * @param {string} rootId
   * @param {boolean} write
   */
  function openThread(rootId, write) {
    const entry = shown.get(rootId);
    if (!entry) return;
    closeThread(false);
    const opened = createThread({
      roomId, root: entry.message, mayWrite: present(), close: () => closeThread(true),
      // Replies on screen are read, as the room's own line is (`shownUpTo`).
      read: (seq) => { if (!document.hidden && present()) transport.read(seq); },
    });
    thread = opened;
    composerSlot.before(opened.element);
    redraw(rootId);
    opened.open(write);
  }

  /**
   * Closes the open thread, if any; `refocus` puts the focus back on its root.
   * @param {boolean} refocus
   */
  function closeThread(refocus) {
    if (!thread) return;
    const { rootId, element: panel } = thread;
    thread = null;
    panel.remove();
    redraw(rootId);
    const li = shown.get(rootId)?.li;
    if (refocus) /** @type {HTMLElement | null | undefined} */ (li?.querySelector('.open-thread') ?? li?.querySelector('.menu-button'))?.focus();
  }

  /** @param {string} messageId a message shown, drawn anew (unless being edited) */
  function redraw(messageId) {
    const entry = shown.get(messageId);
    if (entry && !entry.editing) draw(entry.li, entry.message);
  }

  /**
   * A message's reactions, as toggles for a present member.
   * @param {Message} message
   */
  const reactions = (message) => reactionRow(message.reactions, {
    mayReact: present(),
    toggle: (key, add) => toggleReaction(message.message_id, key, add),
  });

  /**
   * Opens the reaction picker under message `messageId`; it closes back to the message's menu.
   * @param {string} messageId
   */
  function pick(messageId) {
    const entry = shown.get(messageId);
    if (!entry || 'deleted' in entry.message) return;
    const { li } = entry;
    li.querySelector('.reaction-picker')?.remove();
    const picker = reactionPicker(entry.message.reactions, {
      choose: (key, add) => toggleReaction(messageId, key, add),
      close: () => {
        picker.remove();
        /** @type {HTMLElement | null} */ (li.querySelector('.menu-button, .text'))?.focus();
      },
    });
    li.append(picker);
    /** @type {HTMLElement | null} */ (picker.querySelector('button'))?.focus();
  }

  /**
   * Adds or takes back the person's reaction. With a socket, its frames then show it, in order
   * with everyone else's; without one, the answer is all there is.
   * @param {string} messageId
   * @param {string} key
   * @param {boolean} add
   */
  async function toggleReaction(messageId, key, add) {
    try {
      const answer = await api.react(roomId, messageId, key, add);
      if (polling) setReactions(messageId, answer.reactions);
      showError(line, null);
    } catch (error) {
      showError(line, error);
    }
  }

  /**
   * Shows a message's reactions anew, alone: its menu or picker, if open, stays, and so does
   * the focus on one of its reactions.
   * @param {string} messageId
   * @param {import('../api.js').Reaction[]} next
   */
  function setReactions(messageId, next) {
    const entry = shown.get(messageId);
    if (!entry || 'deleted' in entry.message) return;
    entry.message = { ...entry.message, reactions: next };
    const row = entry.li.querySelector('.reactions');
    if (entry.editing || !row) return; // drawn when the edit ends
    const focused = /** @type {HTMLElement | null} */ (row.contains(document.activeElement) ? document.activeElement : null);
    const fresh = reactions(entry.message);
    row.replaceWith(fresh);
    const key = focused?.dataset.key;
    if (key != null) /** @type {HTMLElement | null} */ (fresh.querySelector(`[data-key="${CSS.escape(key)}"]`) ?? entry.li.querySelector('.text'))?.focus();
  }

  /**
   * What a reply shows of the message it replies to, as a button that goes to it.
   * @param {NonNullable<Message['reply_to']>} parent
   */
  function quote(parent) {
    const shownAs = 'deleted' in parent ? [h('em', {}, 'a deleted message')]
      : [userLabel(parent.user_id), ': ', userText(parent.preview)];
    return h('p', { class: 'reply-quote' },
      h('button', { type: 'button', class: 'quote', onclick: () => goTo(parent.message_id) },
        h('span', { class: 'sr-only' }, 'In reply to '), ...shownAs));
  }

  /**
   * Shows the message `messageId` (scrolled to, its text focused), if it is loaded.
   * @param {string} messageId
   */
  function goTo(messageId) {
    const entry = shown.get(messageId);
    if (!entry) {
      announcer.textContent = 'That message is further back: load older messages to find it.';
      return;
    }
    entry.li.scrollIntoView({ block: 'center' });
    entry.li.classList.add('found');
    setTimeout(() => entry.li.classList.remove('found'), 2000);
    /** @type {HTMLElement | null} */ (entry.li.querySelector('.text'))?.focus({ preventScroll: true });
  }

  /**
   * Shows message `messageId` in its place: older pages are loaded until it is there (20 at
   * most: 1,000 messages back), then it is scrolled to and focused.
   * @param {string} messageId
   */
  async function showInContext(messageId) {
    for (let pages = 0; !shown.has(messageId) && older != null && pages < 20; pages += 1) {
      const before = older;
      await loadOlder();
      if (older === before) break; // the page did not come: loadOlder said why
    }
    goTo(messageId);
  }

  /**
   * The replies shown to `message` show it as it is now (edited, or deleted).
   * @param {HistoryItem} message
   */
  function requote(message) {
    const parent = 'deleted' in message ? { message_id: message.message_id, deleted: /** @type {true} */ (true) }
      : { message_id: message.message_id, user_id: message.user_id, preview: [...message.text].slice(0, 140).join('') };
    for (const entry of shown.values()) {
      const reply = entry.message;
      if ('deleted' in reply || reply.reply_to?.message_id !== message.message_id) continue;
      entry.message = { ...reply, reply_to: parent };
      if (!entry.editing) draw(entry.li, entry.message);
    }
  }

  const nearBottom = () => scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 80;
  const toBottom = () => { scroller.scrollTop = scroller.scrollHeight; };

  /**
   * Puts a new message in its place by `seq` (nearly always the end, before any post still
   * on its way).
   * @param {HTMLLIElement} li
   * @param {number} seq
   */
  function place(li, seq) {
    let after = /** @type {Element | null} */ (list.lastElementChild);
    while (after && (after.classList.contains('pending') || Number(/** @type {HTMLElement} */ (after).dataset.seq) > seq)) {
      after = after.previousElementSibling;
    }
    if (after) after.after(li);
    else list.prepend(li);
  }

  /**
   * Adds messages (oldest first) at the bottom; returns those not already shown.
   * @param {HistoryItem[]} messages
   */
  function addNewer(messages) {
    const fresh = messages.filter((message) => !shown.has(message.message_id));
    if (!fresh.length) return fresh;
    const follow = nearBottom() || fresh.some((message) => 'user_id' in message && message.user_id === me);
    for (const message of fresh) {
      const li = item(message);
      shown.set(message.message_id, { li, message, editing: false });
      place(li, message.seq);
      if ('user_id' in message) stopTyping(message.user_id);
    }
    const last = [...list.children].reverse().find((li) => !li.classList.contains('pending'));
    newest = /** @type {HTMLElement | undefined} */ (last)?.dataset.id ?? newest;
    if (follow) toBottom();
    return fresh;
  }

  /**
   * A message as it is now (edited, or deleted): drawn anew where it is, if it is shown.
   * @param {HistoryItem} message
   */
  function replace(message) {
    const entry = shown.get(message.message_id);
    if (!entry) return;
    if (!('deleted' in entry.message) && ('deleted' in message || entry.message.text !== message.text)) requote(message);
    entry.message = message;
    const focused = entry.li.contains(document.activeElement);
    if (entry.editing && !('deleted' in message)) return; // drawn when the edit ends
    entry.editing = false;
    draw(entry.li, message);
    if (focused) /** @type {HTMLElement | null} */ (entry.li.querySelector('.msg-actions button, .text'))?.focus();
  }

  /**
   * What is left of a deleted message shown: its place, and the thread it roots, if any.
   * @param {string} messageId
   * @param {number} [seq]
   * @returns {HistoryItem}
   */
  function tombstone(messageId, seq) {
    const was = shown.get(messageId)?.message;
    return {
      message_id: messageId, seq: was?.seq ?? seq ?? 0, deleted: true, reactions: [],
      in_thread: was?.in_thread ?? null, thread: was?.thread ?? null, files: [],
    };
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
        const messages = page.messages.filter((message) => !shown.has(message.message_id)).reverse();
        const items = messages.map((message) => {
          const li = item(message);
          shown.set(message.message_id, { li, message, editing: false });
          return li;
        });
        // Keep what is on screen where it is while the page grows above it.
        const fromBottom = scroller.scrollHeight - scroller.scrollTop;
        list.prepend(...items);
        scroller.scrollTop = scroller.scrollHeight - fromBottom;
        setOlder(page.next);
        // This gesture is answered. A scroll animation still running from it (the page arrived
        // before it ended) must not carry on into the page after, past the button.
        scrolledByPerson = 0;
      } finally {
        olderButton.disabled = false;
        olderButton.textContent = 'Load older messages';
      }
    }).catch(() => {});
  }

  /** @param {HistoryItem[]} messages */
  function announce(messages) {
    const others = /** @type {Message[]} */ (messages.filter((message) => 'user_id' in message && message.user_id !== me && !blocked.has(message.user_id)));
    const latest = others.at(-1);
    if (!latest) return;
    api.username(latest.user_id).catch(() => null).then((name) => {
      const text = latest.text.length > 200 ? `${latest.text.slice(0, 200)}…` : latest.text;
      const count = others.length > 1 ? `${others.length} new messages. Latest ` : 'New message ';
      announcer.textContent = `${count}from ${name ?? 'someone'}: ${text}`;
    });
  }

  /**
   * The newest page, read through HTTP in place of what is shown: the first time, and whenever
   * the socket may have missed events (the first connection after polling, a `reset`).
   */
  async function reload() {
    const page = await api.messages(roomId, { limit: PAGE });
    if (stopped) return;
    const first = !loaded;
    loaded = true;
    const messages = page.messages.slice().reverse();
    const ids = new Set(messages.map((message) => message.message_id));
    for (const [id, entry] of shown) {
      if (!ids.has(id)) {
        watcher.unobserve(entry.li);
        onScreen.delete(entry.li);
        entry.li.remove();
        shown.delete(id);
      }
    }
    for (const message of messages) replace(message);
    addNewer(messages);
    setOlder(page.next);
    showError(line, null);
    if (first) {
      // The room opens where the person stopped reading (the newest messages, if they had read
      // them all): only what is then on screen counts as read.
      const unreadLine = markUnread();
      toBottom();
      if (unreadLine) scroller.scrollTop += unreadLine.getBoundingClientRect().top - scroller.getBoundingClientRect().top - 8;
    }
  }

  /** @type {number | null} */
  let readSeq = null; // where the person had read up to when the room opened
  /**
   * The room opened with the person's read position at `seq`: once the history is in, a line
   * says where the messages they have not read begin.
   * @param {number | undefined} seq
   */
  function openedAt(seq) {
    if (readSeq == null && seq != null) readSeq = seq;
  }

  /**
   * "New messages" before the first message shown that came after the read position from
   * others; returns that line, if there is one.
   */
  function markUnread() {
    if (readSeq == null) return null;
    const seq = /** @type {number} */ (readSeq);
    const first = [...shown.values()]
      .filter(({ message }) => message.seq > seq && 'user_id' in message && message.user_id !== me)
      .sort((a, b) => a.message.seq - b.message.seq)[0];
    if (!first) return null;
    const unreadLine = h('li', { class: 'new-messages' }, h('span', {}, 'New messages'));
    first.li.before(unreadLine);
    return unreadLine;
  }

  /** Polls while the room has no socket: what is newer than the newest message shown. */
  async function poll() {
    clearTimeout(timer);
    if (stopped || !polling) return;
    if (inPoll) {
      pollAgain = true;
      return;
    }
    inPoll = true;
    try {
      await enqueue(async () => {
        if (!loaded) return reload();
        for (;;) {
          const page = await api.messages(roomId, { after: /** @type {string} */ (newest), limit: POLL_LIMIT });
          if (stopped) return;
          announce(addNewer(page.messages.slice().reverse()));
          if (page.messages.length < POLL_LIMIT) break;
        }
        showError(line, null);
      });
    } finally {
      inPoll = false;
    }
    if (pollAgain) {
      pollAgain = false;
      poll();
    } else if (!stopped && polling) {
      timer = setTimeout(poll, POLL_MS);
    }
  }

  // Who is typing, each until TYPING_SHOWN_MS after their last `typing`.
  /** @type {Map<string, any>} user id → its timer */
  const typists = new Map();
  function drawTyping() {
    const ids = [...typists.keys()];
    if (!ids.length) return fill(typingLine);
    Promise.all(ids.map((id) => api.username(id).catch(() => null))).then((names) => {
      if (ids.join() !== [...typists.keys()].join()) return; // changed meanwhile: drawn again already
      /** @type {import('../dom.js').Child[]} */
      const who = names.map((name) => userText(name ?? 'someone'));
      if (who.length === 1) fill(typingLine, who[0], ' is typing…');
      else if (who.length === 2) fill(typingLine, who[0], ' and ', who[1], ' are typing…');
      else fill(typingLine, `${who.length} people are typing…`);
    });
  }
  /** @param {string} userId */
  function startTyping(userId) {
    if (userId === me) return;
    clearTimeout(typists.get(userId));
    typists.set(userId, setTimeout(() => stopTyping(userId), TYPING_SHOWN_MS));
    drawTyping();
  }
  /** @param {string} userId */
  function stopTyping(userId) {
    if (!typists.has(userId)) return;
    clearTimeout(typists.get(userId));
    typists.delete(userId);
    drawTyping();
  }

  /** @param {string[]} users */
  function drawPresence(users) {
    presence.hidden = false;
    fill(here, users.map((id) => h('li', {}, userLabel(id), id === me && h('span', { class: 'badge' }, 'you'))));
  }

  /**
   * One frame of the room's live socket, in order.
   * @param {import('../live.js').RoomFrame} frame
   */
  function live(frame) {
    switch (frame.type) {
      case 'typing': return startTyping(frame.user_id);
      case 'presence': return drawPresence(frame.users);
      case 'member_left': return stopTyping(frame.user_id);
      case 'message':
        // A reply in a thread is not of the room's own line: its thread's panel shows it, if open.
        if (frame.message.in_thread != null) return enqueue(() => inThread(frame.message));
        return enqueue(() => {
          // A replayed one may be shown already: as it is now.
          if (shown.has(frame.message.message_id)) replace(frame.message);
          else announce(addNewer([frame.message]));
        });
      case 'thread_updated':
        return enqueue(() => {
          const entry = shown.get(frame.root_id);
          if (entry) replace({ ...entry.message, thread: frame.thread });
        });
      case 'message_edited':
        return enqueue(() => (frame.message.in_thread != null ? inThread(frame.message) : replace(frame.message)));
      case 'message_deleted':
        return enqueue(() => { thread?.deleted(frame.message_id); replace(tombstone(frame.message_id)); });
      case 'reaction_added':
      case 'reaction_removed':
        return enqueue(() => {
          const entry = shown.get(frame.message_id);
          if (entry && !('deleted' in entry.message)) setReactions(frame.message_id, afterReaction(entry.message.reactions, frame, me));
        });
      default: return undefined;
    }
  }

  /** @param {HistoryItem} message a reply in a thread, for that thread's panel if it is open */
  function inThread(message) {
    if (thread && message.in_thread === thread.rootId) thread.show(message);
  }

  /** @param {{ resumed: boolean }} state */
  function connected({ resumed }) {
    polling = false;
    clearTimeout(timer);
    fill(connection);
    // Without a resume, what happened before this socket's `hello` is read through HTTP (all
    // of it again if the history was read before: edits and deletions meanwhile included).
    if (!resumed || !loaded) enqueue(reload);
  }

  /** @param {{ fallback: boolean }} state */
  function disconnected({ fallback }) {
    presence.hidden = true;
    typists.forEach((_timer, id) => stopTyping(id));
    fill(connection, fallback ? 'Live updates are unavailable: checking for new messages every few seconds.' : 'Reconnecting…');
    if (fallback && !polling) {
      polling = true;
      poll();
    }
  }

  /** @param {string} messageId */
  function edit(messageId) {
    const entry = shown.get(messageId);
    if (!entry || 'deleted' in entry.message) return;
    entry.editing = true;
    const { li } = entry;
    const id = `edit-${messageId}`;
    const box = h('textarea', { id, rows: 2, maxlength: 4000, required: true, dir: 'auto' });
    box.value = entry.message.text;
    const errors = errorLine();
    const form = h('form', { class: 'edit' },
      h('label', { for: id }, 'Edit message'), box,
      h('div', { class: 'actions' },
        h('button', { type: 'submit', class: 'primary small' }, 'Save'),
        h('button', { type: 'button', class: 'small', onclick: () => done() }, 'Cancel')),
      errors);
    const done = () => {
      const current = shown.get(messageId);
      if (!current) return;
      current.editing = false;
      draw(current.li, current.message);
      /** @type {HTMLElement | null} */ (current.li.querySelector('.msg-actions button, .text'))?.focus();
    };
    const save = async () => {
      const text = box.value;
      if (!text.trim()) return;
      const edited = await busy(form, errors, () => api.editMessage(roomId, messageId, text));
      if (!edited) return;
      const current = shown.get(messageId);
      // The socket may have brought a later edit (from another tab) first: keep the latest.
      if (current && !('deleted' in current.message) && (current.message.edited_at ?? '') <= (edited.edited_at ?? '')) current.message = edited;
      done();
    };
    form.addEventListener('submit', (event) => { event.preventDefault(); save(); });
    box.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') { event.preventDefault(); done(); }
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) { event.preventDefault(); save(); }
    });
    /** @type {HTMLElement} */ (li.querySelector('.text')).replaceWith(form);
    li.querySelector('.msg-actions')?.remove();
    box.focus();
  }

  /** @param {string} messageId */
  async function remove(messageId) {
    const entry = shown.get(messageId);
    if (!entry || 'deleted' in entry.message) return;
    const mine = entry.message.user_id === me;
    const question = mine ? 'Delete your message? Everyone will see “message deleted” in its place.'
      : 'Delete this message? Everyone will see “message deleted” in its place.';
    if (!(await confirmDialog(question, 'Delete message'))) return;
    const { seq } = entry.message;
    try {
      await api.deleteMessage(roomId, messageId);
    } catch (/** @type {any} an ApiError, or what the browser threw */ error) {
      // Already deleted (from elsewhere): show it so.
      if (error.status !== 404) return showError(line, error);
    }
    const focus = entry.li.contains(document.activeElement) || document.activeElement === document.body;
    replace(tombstone(messageId, seq));
    if (focus) /** @type {HTMLElement | null} */ (entry.li.querySelector('.text'))?.focus();
  }

  function stop() {
    stopped = true;
    watcher.disconnect();
    document.removeEventListener('visibilitychange', shownUpTo);
    window.removeEventListener('chatrooms:blocks-changed', readBlocks);
    clearTimeout(timer);
    clearTimeout(early);
    typists.forEach((typist) => clearTimeout(typist));
  }

  olderButton.addEventListener('click', loadOlder);
  // Reaching the top by scrolling loads the page before. Only a person's scrolling counts (wheel,
  // touch, keys, the scroll bar): scrolling the button into view to press it must not load a
  // page by itself, which would push the button away before the press.
  const personScrolls = () => { scrolledByPerson = Date.now(); };
  for (const type of ['wheel', 'touchmove', 'keydown', 'pointerdown']) {
    scroller.addEventListener(type, personScrolls, { passive: true });
  }
  scroller.addEventListener('scroll', () => {
    if (scroller.scrollTop < 40 && Date.now() - scrolledByPerson < 1000) loadOlder();
  });

  /**
   * Posts what the box sends: shown at once as on its way, then in its place once the server
   * answers; whether it went.
   * @param {string} words
   * @param {string[]} [mentions] the ids of the people it mentions
   * @param {string | null} [replyTo] the id of the message it replies to
   * @param {string[]} [files] the ids of the uploads it carries
   */
  async function submit(words, mentions = [], replyTo = null, files = []) {
    const waiting = h('li', { class: 'msg mine pending' },
      h('p', { class: 'meta' }, 'Sending…'), h('p', { class: 'text', dir: 'auto' }, words));
    list.append(waiting);
    toBottom();
    showError(sendLine, null);
    try {
      const message = await transport.send(words, mentions, replyTo, files);
      waiting.remove();
      addNewer([message]);
      if (polling) poll();
      return true;
    } catch (/** @type {any} an ApiError, or what the browser threw */ error) {
      waiting.remove();
      showError(sendLine, error);
      // Refused: the person was removed or banned meanwhile. The room view finds out how.
      if (error.status === 403 || error.status === 404) emit(element, 'chatrooms:post-refused');
      return false;
    }
  }

  // The box is drawn anew only when the person's standing changes, so that a new reading of the
  // room never throws away what they are typing.
  /** @param {import('./room.js').RoomState} next */
  function update(next) {
    const before = state;
    state = next;
    const slot = next.role === 'outsider' ? `outsider ${next.info.open}` : 'member';
    if (composerSlot.dataset.for !== slot) {
      composerSlot.dataset.for = slot;
      composerSlot.replaceChildren(
        next.role === 'outsider' ? joinPrompt(next.info.open) : (writer = composer({ submit, typing: transport.typing, roomId })),
      );
      if (next.role === 'outsider') writer = null;
    }
    // Who may edit and delete what changes with the standing.
    if (before?.role !== next.role) redrawAll();
  }

  // The history is read once the socket is live (so that nothing falls between the reading and
  // the socket's first event); a socket slow to come must not keep it from showing meanwhile.
  const early = setTimeout(() => { if (!loaded) enqueue(reload); }, EARLY_LOAD_MS);

  return {
    element,
    stop,
    update,
    live,
    openedAt,
    connected,
    disconnected,
    /** Forgets a refused post's message once the person acts on it (joins again, say). */
    clearErrors() {
      showError(sendLine, null);
    },
  };
}
