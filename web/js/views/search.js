// Searching a room: a search box above the conversation, the messages found (newest first, the
// matches highlighted, more on request), and each result a button that shows the message in
// its place in the history.

import * as api from '../api.js';
import { fill, h } from '../dom.js';
import { errorLine, showError, timeOf, userLabel } from '../ui.js';

const PAGE = 20;

/**
 * The text with every case-insensitive occurrence of `q` marked. Where lowercasing changes the
 * text's length (a few letters do), it is shown unmarked rather than marked in the wrong place.
 * @param {string} text
 * @param {string} q
 * @returns {(string | HTMLElement)[]}
 */
export function highlighted(text, q) {
  const [haystack, needle] = [text.toLowerCase(), q.toLowerCase()];
  if (!needle || haystack.length !== text.length) return [text];
  /** @type {(string | HTMLElement)[]} */
  const parts = [];
  let from = 0;
  for (let at = haystack.indexOf(needle); at >= 0; at = haystack.indexOf(needle, at + needle.length)) {
    if (at > from) parts.push(text.slice(from, at));
    parts.push(h('mark', {}, text.slice(at, at + needle.length)));
    from = at + needle.length;
  }
  if (from < text.length) parts.push(text.slice(from));
  return parts;
}

/**
 * The search of room `roomId`; `show(messageId)` shows a found message in the history.
 * @param {{ roomId: string, show: (messageId: string) => Promise<void> }} options
 */
export function createSearch({ roomId, show }) {
  const input = h('input', { type: 'search', id: `search-${roomId}`, maxlength: 100, autocomplete: 'off', required: true });
  const line = errorLine();
  const status = h('p', { class: 'muted search-status', role: 'status' });
  const results = h('ol', { class: 'search-results', 'aria-label': 'Messages found' });
  const more = h('button', { type: 'button', class: 'small', hidden: true }, 'More results');
  const close = h('button', { type: 'button', class: 'small', hidden: true }, 'Close search');
  const panel = h('div', { class: 'search-panel', hidden: true }, status, results, h('div', { class: 'row' }, more, close), line);
  const form = h('form', { class: 'search', role: 'search', 'aria-label': 'Search this room' },
    h('label', { for: input.id, class: 'sr-only' }, 'Search this room'),
    input, h('button', { type: 'submit', class: 'small' }, 'Search'));
  const element = h('div', { class: 'room-search' }, form, panel);

  /** @type {string | null} */
  let next = null;
  let query = '';
  let found = 0;

  /** @param {boolean} fresh a new query (else: the page after the last) */
  async function run(fresh) {
    if (fresh) {
      query = input.value;
      if (!query.trim()) return;
      next = null;
      found = 0;
      fill(results);
    }
    panel.hidden = false;
    close.hidden = false;
    status.textContent = 'Searching…';
    // Not `busy`: disabling the box would take the focus out of it.
    panel.setAttribute('aria-busy', 'true');
    showError(line, null);
    let page;
    try {
      page = await api.search(roomId, query, { before: next, limit: PAGE });
    } catch (error) {
      status.textContent = '';
      showError(line, error);
      return;
    } finally {
      panel.removeAttribute('aria-busy');
    }
    const q = query;
    results.append(...page.messages.map((message) => h('li', {},
      h('button', { type: 'button', class: 'result', onclick: () => show(message.message_id) },
        'deleted' in message ? h('em', {}, 'a deleted message') : [
          h('span', { class: 'meta' }, userLabel(message.user_id), ' ',
            timeOf(message.sent_at)),
          h('span', { class: 'found-text', dir: 'auto' }, ...highlighted(message.text, q)),
        ]))));
    found += page.messages.length;
    next = page.next;
    more.hidden = next == null;
    status.textContent = found === 0 && next == null ? `Nothing found for “${q}”.`
      : `${found} ${found === 1 ? 'message' : 'messages'} found for “${q}”${next == null ? '.' : ', and perhaps more.'}`;
  }

  form.addEventListener('submit', (event) => { event.preventDefault(); run(true); });
  more.addEventListener('click', () => run(false));
  close.addEventListener('click', () => {
    panel.hidden = true;
    close.hidden = true;
    fill(results);
    input.value = '';
    input.focus();
  });
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && !panel.hidden) { event.preventDefault(); close.click(); }
  });
  return { element };
}
