// The box to write in, for present members, and what an outsider gets instead (a join button
// for an open room, or why not for a closed one). It holds only what is being typed, and whom
// it mentions: what a post does is the conversation's (`submit`), which it is handed.

import * as api from '../api.js';
import { emit, fill, h } from '../dom.js';
import { userLabel, userText } from '../ui.js';
import { attachments, filePicker } from './files.js';

/** @typedef {import('../api.js').Profile} Profile */

// The handle being typed just before the caret, after its at sign (letters, digits, . _ -): from
// two characters, the shortest start the people search takes.
const TYPED_HANDLE = /(?:^|\s)@([a-z0-9._-]{2,30})$/i;

/**
 * The writing box. `submit(words, mentions)` posts them and says whether they went; if not,
 * they come back in the box (unless something new is there). `typing()` is called as the person
 * types. Typing `@` and the start of a handle offers the room's members who have one (Up, Down,
 * Enter or Tab to pick, Escape to close); a picked person is mentioned while their `@handle`
 * stays in the text. `replyTo(message)` makes the next message a reply to `message` (a bar above
 * the box says so, with Cancel; Escape cancels it too). Files come by the Attach button, by a
 * drop on the box, or by a paste; each is uploaded at once, and goes with the next message.
 * @param {{ submit: (words: string, mentions: string[], replyTo: string | null, files: string[]) => Promise<boolean>, typing: () => void, roomId: string }} actions
 * @returns {HTMLFormElement & { replyTo: (message: import('../api.js').Message) => void }}
 */
export function composer({ submit, typing, roomId }) {
  const id = 'message-text';
  const listId = `${id}-people`;
  const text = h('textarea', {
    id, name: 'text', rows: 2, maxlength: 4000, required: true, 'aria-describedby': `${id}-hint`,
    'aria-autocomplete': 'list', 'aria-controls': listId,
  });
  const options = h('ul', { id: listId, class: 'mention-options', role: 'listbox', 'aria-label': 'People to mention', hidden: true });
  // The message the next one replies to, if any.
  /** @type {import('../api.js').Message | null} */
  let replying = null;
  const replyText = h('span', { class: 'replying-to' });
  const replyBar = h('p', { class: 'reply-bar', hidden: true }, replyText, ' ',
    h('button', { type: 'button', class: 'tiny', onclick: () => { endReply(); text.focus(); } }, 'Cancel reply'));
  const endReply = () => {
    replying = null;
    replyBar.hidden = true;
    fill(replyText);
  };
  // The files the next message carries: with some, the text may be left empty.
  const files = attachments({ roomId, box: text });
  const picking = filePicker(files);
  const form = h('form', { class: 'composer' },
    replyBar,
    h('label', { for: id }, 'Message'),
    h('div', { class: 'row' }, text, ...picking.controls, h('button', { type: 'submit', class: 'primary' }, 'Send')),
    files.element,
    options,
    h('p', { class: 'hint', id: `${id}-hint` }, 'Enter sends; Shift+Enter starts a new line; @ and a handle mentions someone; drop or paste files to attach them.'));
  picking.wire(form, text);

  // Whom the text mentions, by handle (lower case) to user id: those picked from the list.
  const picked = new Map();
  /** @type {Profile[]} */
  let offered = [];
  let active = -1;
  // The room's members (the first 500), read once, when the person first starts a handle.
  /** @type {Promise<Set<string>> | null} */
  let members = null;
  let asked = 0;

  const close = () => {
    offered = [];
    active = -1;
    options.hidden = true;
    options.replaceChildren();
    text.removeAttribute('aria-activedescendant');
  };
  const drawOptions = () => {
    options.replaceChildren(...offered.map((person, index) => h('li', {
      id: `${listId}-${index}`, role: 'option', 'aria-selected': String(index === active),
      class: index === active ? 'active' : null,
      onmousedown: (/** @type {MouseEvent} */ event) => { event.preventDefault(); pick(index); },
    }, person.username, ' ', h('span', { class: 'muted' }, `@${person.handle}`))));
    options.hidden = offered.length === 0;
    if (active >= 0) text.setAttribute('aria-activedescendant', `${listId}-${active}`);
    else text.removeAttribute('aria-activedescendant');
  };
  /** @param {number} index */
  const pick = (index) => {
    const person = offered[index];
    if (!person?.handle) return;
    const before = text.value.slice(0, text.selectionStart);
    const after = text.value.slice(text.selectionEnd);
    const start = before.lastIndexOf('@');
    const inserted = `@${person.handle} `;
    text.value = before.slice(0, start) + inserted + after;
    const caret = start + inserted.length;
    text.setSelectionRange(caret, caret);
    picked.set(person.handle.toLowerCase(), person.user_id);
    close();
  };
  const offer = async () => {
    const typed = TYPED_HANDLE.exec(text.value.slice(0, text.selectionStart))?.[1];
    if (!typed) return close();
    const ask = ++asked;
    try {
      members ??= api.members(roomId, 0, 500).then(({ users }) => new Set(users));
      const [found, present] = await Promise.all([api.findPeople(typed, 0, 20), members]);
      if (ask !== asked) return;
      offered = found.users.filter((person) => person.handle && present.has(person.user_id)).slice(0, 8);
      active = offered.length > 0 ? 0 : -1;
      drawOptions();
    } catch {
      // A handle too short to search (400), or a passing failure: the members are read again at
      // the next key. Only the latest key's answer may close the list: an older one failing late
      // must not take away what a newer one offered.
      members = null;
      if (ask === asked) close();
    }
  };
  // The people the words mention: those picked whose handle, after its at sign, is still there.
  const mentioned = (/** @type {string} */ words) => [...picked]
    .filter(([handle]) => new RegExp(`(^|\\s)@${handle.replace(/[.]/g, '\\.')}(?![a-z0-9._-])`, 'i').test(words))
    .map(([, userId]) => userId);

  const send = async () => {
    if (files.busy()) return;
    const attached = files.ids();
    const words = files.words(text.value);
    if (!words.trim()) return;
    const mentions = mentioned(words);
    const reply = replying;
    const typed = text.value;
    text.value = '';
    close();
    endReply();
    // What was written is not lost: it goes back in the box, unless something new is there;
    // the files stay until they went.
    if (!(await submit(words, mentions, reply?.message_id ?? null, attached)) && !text.value) {
      text.value = typed;
      if (reply && !replying) startReply(reply);
    } else {
      picked.clear();
      files.clear();
    }
  };
  /** @param {import('../api.js').Message} message */
  const startReply = (message) => {
    replying = message;
    const preview = message.text.length > 80 ? `${message.text.slice(0, 80)}…` : message.text;
    fill(replyText, 'Replying to ', userLabel(message.user_id), ': ', h('q', {}, userText(preview)));
    replyBar.hidden = false;
  };
  form.addEventListener('submit', (event) => { event.preventDefault(); send(); text.focus(); });
  text.addEventListener('keydown', (event) => {
    if (!options.hidden && offered.length > 0) {
      if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
        event.preventDefault();
        active = (active + (event.key === 'ArrowDown' ? 1 : offered.length - 1)) % offered.length;
        drawOptions();
        return;
      }
      if ((event.key === 'Enter' || event.key === 'Tab') && !event.shiftKey && active >= 0) {
        event.preventDefault();
        pick(active);
        return;
      }
      if (event.key === 'Escape') {
        event.preventDefault();
        close();
        return;
      }
    }
    if (event.key === 'Escape' && replying) {
      event.preventDefault();
      endReply();
      return;
    }
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      send();
    }
  });
  text.addEventListener('input', () => {
    if (text.value) typing();
    offer();
  });
  text.addEventListener('blur', close);
  return Object.assign(form, {
    /** @param {import('../api.js').Message} message */
    replyTo(message) {
      startReply(message);
      text.focus();
    },
  });
}

/**
 * What an outsider gets in the box's place. Sends up `chatrooms:join-room` when asked to join.
 * @param {boolean} open
 */
export function joinPrompt(open) {
  if (!open) return h('p', { class: 'join-prompt' }, 'You are not a member of this room.');
  const join = h('button', { type: 'button', class: 'primary' }, 'Join room');
  join.addEventListener('click', () => emit(join, 'chatrooms:join-room'));
  return h('p', { class: 'join-prompt' }, 'You are reading an open room. ', join, ' to write in it.');
}
