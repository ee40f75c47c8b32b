// The box to write in, for present members, and what an outsider gets instead (a join button
// for an open room, or why not for a closed one). It holds only what is being typed: what a
// post does is the conversation's (`submit`), which it is handed.

import { emit, h } from '../dom.js';

/**
 * The writing box. `submit(words)` posts them and says whether they went; if not, they come
 * back in the box (unless something new is there). `typing()` is called as the person types.
 * @param {{ submit: (words: string) => Promise<boolean>, typing: () => void }} actions
 */
export function composer({ submit, typing }) {
  const id = 'message-text';
  const text = h('textarea', { id, name: 'text', rows: 2, maxlength: 4000, required: true, 'aria-describedby': `${id}-hint` });
  const form = h('form', { class: 'composer' },
    h('label', { for: id }, 'Message'),
    h('div', { class: 'row' }, text, h('button', { type: 'submit', class: 'primary' }, 'Send')),
    h('p', { class: 'hint', id: `${id}-hint` }, 'Enter sends; Shift+Enter starts a new line.'));
  const send = async () => {
    const words = text.value;
    if (!words.trim()) return;
    text.value = '';
    // What was written is not lost: it goes back in the box, unless something new is there.
    if (!(await submit(words)) && !text.value) text.value = words;
  };
  form.addEventListener('submit', (event) => { event.preventDefault(); send(); text.focus(); });
  text.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      send();
    }
  });
  text.addEventListener('input', () => { if (text.value) typing(); });
  return form;
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
