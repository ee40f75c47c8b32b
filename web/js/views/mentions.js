// "Mentions": the messages that mention the person across their rooms, newest first, each with
// a link to its room; more on request.

import * as api from '../api.js';
import { h } from '../dom.js';
import { busy, errorLine, userLabel, timeOf, userText } from '../ui.js';
import { fileList } from './files.js';

/** @param {HTMLElement} main */
export function renderMentions(main) {
  const list = h('ul', { class: 'list', 'aria-label': 'Mentions' });
  const summary = h('p', { class: 'muted' });
  const line = errorLine();
  const more = h('button', { type: 'button', hidden: true }, 'Older mentions');
  const element = h('div', { class: 'paged' }, summary, list, more, line);
  /** @type {string | null} */
  let next = null;
  let shown = 0;

  /** @param {string | null} before */
  async function load(before) {
    await busy(element, line, async () => {
      const page = await api.mentions(before, 20);
      for (const { room_id, message } of page.mentions) {
        list.append(h('li', { class: 'room-item mention-item' },
          h('span', {}, userLabel(message.user_id), ' ',
            timeOf(message.sent_at)),
          h('q', { dir: 'auto' }, userText(message.text)),
          fileList(room_id, message.files ?? []),
          h('a', { href: `#/room/${encodeURIComponent(room_id)}` }, 'Open the room')));
      }
      shown += page.mentions.length;
      next = page.next;
      more.hidden = next == null;
      summary.textContent = shown === 0 ? 'Nobody has mentioned you yet.' : '';
    });
  }
  more.addEventListener('click', () => load(next));
  main.append(h('h1', {}, 'Mentions'), h('section', { 'aria-label': 'Messages that mention you' }, element));
  load(null);
}
