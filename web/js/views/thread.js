// A thread, in a panel beside the conversation: its root, its replies (oldest at the top, older
// ones on request), and a box to reply in. The conversation (messages.js) opens it from a root,
// and hands it the live socket's news of its replies. The replies it shows are read: the room's
// one read position moves up to the newest (the README, "Unread, exactly").

import * as api from '../api.js';
import { fill, h } from '../dom.js';
import { errorLine, showError, timeOf, userLabel, userText } from '../ui.js';
import { attachments, fileList, filePicker } from './files.js';

const PAGE = 50;

/** @typedef {import('../api.js').HistoryItem} HistoryItem */

/**
 * The thread of `root` in room `roomId`; `close()` is the panel's own Close (and Escape);
 * `read(seq)` is told of the newest reply it shows.
 * @param {{ roomId: string, root: HistoryItem, mayWrite: boolean, close: () => void, read: (seq: number) => void }} options
 */
export function createThread({ roomId, root, mayWrite, close, read }) {
  const rootId = root.message_id;
  /** @type {Map<string, HTMLLIElement>} */
  const shown = new Map();
  const list = h('ol', { class: 'messages thread-replies', 'aria-label': 'Replies' });
  const older = h('button', { type: 'button', class: 'small', hidden: true }, 'Load older replies');
  const line = errorLine();
  const heading = h('h2', { tabindex: -1 }, 'Thread');
  const quoted = 'deleted' in root ? h('p', { class: 'muted' }, h('em', {}, 'The message this thread is about was deleted.'))
    : h('p', { class: 'thread-root' }, userLabel(root.user_id), ': ', userText(root.text));
  const box = h('textarea', { id: `thread-${rootId}`, rows: 2, maxlength: 4000, required: true, dir: 'auto' });
  // Files go with a reply as with a message: with some, the words may be left out.
  const files = attachments({ roomId, box, label: 'Files to send in the thread' });
  const picking = filePicker(files, 'Attach to reply');
  const form = h('form', { class: 'composer thread-composer' },
    h('label', { for: box.id }, 'Reply in thread'),
    h('div', { class: 'row' }, box, ...picking.controls, h('button', { type: 'submit', class: 'primary' }, 'Reply')),
    files.element);
  picking.wire(form, box);
  const closer = h('button', { type: 'button', class: 'small' }, 'Close thread');
  const element = h('aside', { class: 'thread-panel', 'aria-labelledby': `thread-heading-${rootId}` },
    h('div', { class: 'thread-head' }, heading, closer), quoted, older, list, line, mayWrite ? form : null);
  heading.id = `thread-heading-${rootId}`;
  /** @type {string | null} */
  let next = null;

  /** @param {HistoryItem} message */
  function item(message) {
    const li = h('li', { class: 'msg', 'data-id': message.message_id });
    draw(li, message);
    return li;
  }

  /**
   * @param {HTMLLIElement} li
   * @param {HistoryItem} message
   */
  function draw(li, message) {
    if ('deleted' in message) return drawDeleted(li);
    fill(li,
      h('p', { class: 'meta' }, userLabel(message.user_id), ' ',
        timeOf(message.sent_at),
        message.edited_at && h('span', { class: 'edited' }, ' · edited')),
      h('p', { class: 'text', dir: 'auto' }, message.text),
      fileList(roomId, message.files ?? []));
  }

  /** @param {HTMLLIElement} li */
  function drawDeleted(li) {
    li.className = 'msg deleted';
    fill(li, h('p', { class: 'text' }, 'message deleted'));
  }

  /**
   * A reply, as it is now: shown anew where it is, or added at the bottom.
   * @param {HistoryItem} message
   */
  function show(message) {
    const li = shown.get(message.message_id);
    if (li) return draw(li, message);
    const fresh = item(message);
    shown.set(message.message_id, fresh);
    list.append(fresh);
    read(message.seq);
    return undefined;
  }

  /** The page of replies before the oldest shown (or the newest page, the first time). */
  async function load() {
    try {
      const page = await api.messages(roomId, { thread: rootId, before: next ?? undefined, limit: PAGE });
      const items = page.messages.filter((message) => !shown.has(message.message_id)).reverse().map((message) => {
        const li = item(message);
        shown.set(message.message_id, li);
        return li;
      });
      list.prepend(...items);
      const newest = page.messages[0];
      if (newest) read(newest.seq);
      next = page.next;
      older.hidden = next == null;
      showError(line, null);
    } catch (error) {
      showError(line, error);
    }
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (files.busy()) return;
    const attached = files.ids();
    const text = files.words(box.value);
    if (!text.trim()) return;
    try {
      show(await api.post(roomId, text, [], null, rootId, attached));
      box.value = '';
      files.clear();
      showError(line, null);
    } catch (error) {
      showError(line, error);
    }
  });
  box.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  older.addEventListener('click', load);
  closer.addEventListener('click', close);
  element.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') { event.preventDefault(); close(); }
  });

  return {
    element,
    rootId,
    /** Reads the newest replies; focuses the box to reply in (`write`), else the heading. */
    async open(/** @type {boolean} */ write) {
      await load();
      if (write && mayWrite) box.focus();
      else heading.focus();
    },
    show,
    /** A reply was deleted: shown so, if it is shown. */
    deleted(/** @type {string} */ messageId) {
      const li = shown.get(messageId);
      if (li) drawDeleted(li);
    },
  };
}
