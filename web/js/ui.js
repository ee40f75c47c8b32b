// Pieces the views share: the app-wide flash message, forms that show their own errors,
// confirmation dialogs, user labels, a copyable field and paged lists.

import { ApiError, displayName, profile } from './api.js';
import { fill, h, uid } from './dom.js';

/**
 * Goes to a route; going to the current one renders it again.
 * @param {string} hash
 */
export function navigate(hash) {
  if (location.hash === hash) window.dispatchEvent(new HashChangeEvent('hashchange'));
  else location.hash = hash;
}

// A flash survives the navigation that follows it (it usually explains that navigation), then goes.
let flashAge = 0;

/**
 * A message for the whole app, shown under the header (`null` clears it).
 * @param {import('./dom.js').Child} message
 * @param {'info' | 'error'} [kind]
 */
export function flash(message, kind = 'info') {
  const region = /** @type {HTMLElement} index.html has it */ (document.getElementById('flash'));
  region.className = `flash ${kind}`;
  fill(region, message ? h('p', {}, message) : null);
  flashAge = 0;
}

/** Called by the router on every navigation. */
export function ageFlash() {
  if (flashAge++ > 0) fill(/** @type {HTMLElement} */ (document.getElementById('flash')));
}

/**
 * What to tell a person about a failure. Unexpected ones are logged for developers too.
 * @param {any} error whatever was thrown
 * @returns {string}
 */
export function messageOf(error) {
  if (error instanceof ApiError) return error.message;
  console.error(error);
  return `Something went wrong in this page: ${error?.message ?? error}`;
}

/** A line that shows a form's or a panel's failures; `role=alert` reads them out at once. */
export function errorLine() {
  return h('p', { class: 'error', role: 'alert', hidden: true });
}

/**
 * @param {HTMLElement} line an errorLine()
 * @param {any} error whatever was thrown, or null to clear the line
 */
export function showError(line, error) {
  // After a dead key the app is already on the login page with its own explanation.
  if (error?.sessionEnded) return;
  line.textContent = error ? messageOf(error) : '';
  line.hidden = !error;
}

/**
 * Runs `action` on submit with the form's buttons disabled, and shows any failure in the
 * form's error line. `action` gets the form's FormData.
 * @param {HTMLFormElement} form
 * @param {HTMLElement} line
 * @param {(data: FormData) => Promise<unknown>} action
 */
export function onSubmit(form, line, action) {
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (form.classList.contains('busy')) return;
    // Read the fields before `busy` disables them: disabled fields are left out of FormData.
    const data = new FormData(form);
    await busy(form, line, () => action(data));
  });
}

/**
 * Runs `action` with the controls inside `scope` disabled; failures go to `line`.
 * @template T
 * @param {HTMLElement} scope
 * @param {HTMLElement} line
 * @param {() => Promise<T>} action
 * @returns {Promise<T | undefined>} what `action` resolved to, or undefined if it failed
 */
export async function busy(scope, line, action) {
  const controls = [.../** @type {NodeListOf<HTMLButtonElement | HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>} */ (
    scope.querySelectorAll('button, input, select, textarea'))].filter((c) => !c.disabled);
  scope.classList.add('busy');
  scope.setAttribute('aria-busy', 'true');
  controls.forEach((control) => { control.disabled = true; });
  showError(line, null);
  try {
    return await action();
  } catch (error) {
    showError(line, error);
    return undefined;
  } finally {
    scope.classList.remove('busy');
    scope.removeAttribute('aria-busy');
    // Re-enable only what this call disabled: controls disabled for other reasons stay so.
    controls.forEach((control) => { control.disabled = false; });
  }
}

/** @typedef {HTMLDivElement & { control: HTMLInputElement }} Field */

/**
 * A labelled input: returns the wrapper; the control is its `.control`.
 * @param {string} label
 * @param {Record<string, any>} [props]
 * @param {string | null} [hint]
 * @returns {Field}
 */
export function field(label, props = {}, hint = null) {
  const id = uid('f');
  const hintId = hint ? `${id}-hint` : null;
  const control = h('input', { ...props, id, 'aria-describedby': hintId });
  const wrapper = /** @type {Field} */ (h('div', { class: 'field' }, h('label', { for: id }, label), control, hint && h('p', { class: 'hint', id: hintId }, hint)));
  wrapper.control = control;
  return wrapper;
}

/**
 * A menu button (the WAI-ARIA pattern): `label` names it (and `describedBy` says what it acts
 * on), and each action is a menu item. Enter, Space or Down open it on its first item, Up on its
 * last; Up, Down, Home and End move; Escape closes it back to the button, Tab or a click
 * elsewhere just closes it. It opens upwards in the lower half of its scrolling box.
 * @param {string} label
 * @param {string} describedBy the id of what it acts on
 * @param {[string, () => void][]} actions each item's text and what it does
 */
export function actionMenu(label, describedBy, actions) {
  const id = uid('menu');
  const toggle = h('button', {
    type: 'button', class: 'tiny menu-button', 'aria-haspopup': 'menu', 'aria-expanded': 'false',
    'aria-controls': id, 'aria-describedby': describedBy, title: label,
  }, h('span', { 'aria-hidden': 'true' }, '⋯'), h('span', { class: 'sr-only' }, label));
  const items = actions.map(([text, act]) => h('button', {
    type: 'button', role: 'menuitem', tabindex: -1,
    onclick: () => { close(true); act(); },
  }, text));
  const menu = h('ul', { class: 'menu', role: 'menu', id, 'aria-label': label, hidden: true },
    items.map((item) => h('li', { role: 'none' }, item)));
  const element = h('span', { class: 'msg-actions' }, toggle, menu);

  /** @param {number} at */
  const focusItem = (at) => items[(at + items.length) % items.length]?.focus();
  /** @param {number} at */
  function open(at) {
    const box = (toggle.closest('.scroller') ?? document.documentElement).getBoundingClientRect();
    const place = toggle.getBoundingClientRect();
    menu.classList.toggle('up', place.top - box.top > box.height / 2);
    menu.hidden = false;
    toggle.setAttribute('aria-expanded', 'true');
    focusItem(at);
  }
  /** @param {boolean} backToButton */
  function close(backToButton) {
    if (menu.hidden) return;
    menu.hidden = true;
    toggle.setAttribute('aria-expanded', 'false');
    if (backToButton) toggle.focus();
  }
  toggle.addEventListener('click', () => (menu.hidden ? open(0) : close(true)));
  toggle.addEventListener('keydown', (event) => {
    if (event.key !== 'ArrowDown' && event.key !== 'ArrowUp') return;
    event.preventDefault();
    open(event.key === 'ArrowDown' ? 0 : -1);
  });
  menu.addEventListener('keydown', (event) => {
    const at = items.indexOf(/** @type {HTMLButtonElement} */ (document.activeElement));
    switch (event.key) {
      case 'ArrowDown': focusItem(at + 1); break;
      case 'ArrowUp': focusItem(at - 1); break;
      case 'Home': focusItem(0); break;
      case 'End': focusItem(-1); break;
      case 'Escape': close(true); break;
      case 'Tab': close(false); return;
      default: return;
    }
    event.preventDefault();
  });
  element.addEventListener('focusout', (event) => {
    if (!element.contains(/** @type {Node | null} */ (event.relatedTarget))) close(false);
  });
  return element;
}

/**
 * A modal yes/no question; resolves to true when confirmed. Escape or Cancel answer no.
 * @param {import('./dom.js').Child} question
 * @param {string} confirmLabel
 * @param {{ danger?: boolean }} [options]
 * @returns {Promise<boolean>}
 */
export function confirmDialog(question, confirmLabel, { danger = true } = {}) {
  return new Promise((resolve) => {
    const titleId = uid('dialog');
    const cancel = h('button', { type: 'button', value: 'cancel' }, 'Cancel');
    const confirm = h('button', { type: 'button', class: danger ? 'danger' : 'primary' }, confirmLabel);
    const dialog = h('dialog', { 'aria-labelledby': titleId },
      h('p', { id: titleId }, question),
      h('div', { class: 'actions' }, cancel, confirm));
    /** @param {boolean} answer */
    const close = (answer) => { dialog.close(); dialog.remove(); resolve(answer); };
    cancel.addEventListener('click', () => close(false));
    confirm.addEventListener('click', () => close(true));
    dialog.addEventListener('cancel', (event) => { event.preventDefault(); close(false); });
    document.body.append(dialog);
    dialog.showModal();
    // Destructive questions start on Cancel, so that Enter does not destroy anything by accident.
    (danger ? cancel : confirm).focus();
  });
}

/**
 * Text someone typed (a username, a room name) set apart from what is around it: a <bdi>,
 * whose direction comes from its own text and which cannot reorder the id, the punctuation or
 * the words beside it, whatever right-to-left letters it holds.
 * @param {string} text
 * @param {Record<string, any>} [props]
 */
export const userText = (text, props = {}) => h('bdi', props, text);

/**
 * The same for plain text (a document title), where no element can go: FSI … PDI (U+2068,
 * U+2069), the characters that isolate as <bdi> does.
 * @param {string} text
 */
export const isolated = (text) => `\u2068${text}\u2069`;

/**
 * A handle as a person typed it: without the spaces around it or a leading `@`.
 * @param {string} text
 */
export const handleOf = (text) => text.trim().replace(/^@/, '');

/**
 * A person's name, filled in once known: "ana @ana.lee". Usernames need not be unique, so the
 * handle follows the name; nobody's user id is shown. `onName` gets the name as shown (for
 * buttons that mention it).
 * @param {import('./api.js').UserId} id
 * @param {(name: string) => void} [onName]
 */
export function userLabel(id, onName = () => {}) {
  const name = h('bdi', { class: 'name' }, '…');
  const handle = h('span', { class: 'handle' });
  const label = h('span', { class: 'user' }, name, handle);
  profile(id).then((found) => {
    name.textContent = found?.username ?? 'deleted account';
    if (found?.handle) fill(handle, ' ', h('bdi', {}, `@${found.handle}`));
    onName(found ? displayName(found) : 'deleted account');
  }, () => { name.textContent = 'someone'; });
  return label;
}

/**
 * A read-only value with a Copy button (the user id, which is what one logs in with).
 * @param {string} label
 * @param {string} value
 * @param {{ big?: boolean }} [options]
 */
export function copyField(label, value, { big = false } = {}) {
  const id = uid('copy');
  const input = h('input', { id, readonly: true, value, class: big ? 'mono big-id' : 'mono', spellcheck: 'false' });
  const status = h('p', { class: 'copied', role: 'status' });
  const button = h('button', { type: 'button' }, 'Copy');
  button.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(value);
      status.textContent = 'Copied to the clipboard.';
    } catch {
      // Clipboard access can be refused: select the text so that Ctrl+C copies it.
      input.select();
      status.textContent = 'Selected: press Ctrl+C (or ⌘C) to copy.';
    }
  });
  input.addEventListener('focus', () => input.select());
  return h('div', { class: 'field' }, h('label', { for: id }, label), h('div', { class: 'row copy' }, input, button), status);
}

/** @typedef {import('./api.js').UserList | import('./api.js').RoomList | import('./api.js').BlockList | import('./api.js').InvitationList | import('./api.js').DmRequestList} Page the API's list shapes */
/**
 * One entry of a list: a user id of a UserList, a RoomSummary of a RoomList, a Blocked of a
 * BlockList.
 * @template {Page} P
 * @typedef {P extends import('./api.js').UserList ? P['users'][number] : P extends import('./api.js').RoomList ? P['rooms'][number] : P extends import('./api.js').BlockList ? P['blocks'][number] : P extends import('./api.js').InvitationList ? P['invites'][number] : P extends import('./api.js').DmRequestList ? P['requests'][number] : never} ItemOf
 */

/**
 * The API's list shapes, as what a paged list shows.
 * @template {Page} P
 * @param {P} page
 * @returns {{ items: ItemOf<P>[], total: number }}
 */
function itemsOf(page) {
  // The checker does not narrow P itself from `'users' in page`, only the value.
  return /** @type {{ items: ItemOf<P>[], total: number }} */ (
    'users' in page ? { items: page.users, total: page.user_count }
      : 'blocks' in page ? { items: page.blocks, total: page.block_count }
        : 'invites' in page ? { items: page.invites, total: page.invite_count }
        : 'requests' in page ? { items: page.requests, total: page.request_count }
        : { items: page.rooms, total: page.room_count });
}

/**
 * A list paged by the API's offset and limit: `fetchPage(offset, limit)` is the API call (it
 * resolves to a UserList or a RoomList), `render(item)` makes one <li>. Previous/Next buttons
 * page through it; `element.reset()` goes back to the first page, read again.
 * @template {Page} P
 * @param {object} options
 * @param {string} options.label
 * @param {(offset: number, limit: number) => Promise<P>} options.fetchPage
 * @param {(item: ItemOf<NoInfer<P>>) => HTMLLIElement} options.render
 * @param {number} [options.pageSize]
 * @param {string} [options.empty]
 * @returns {HTMLDivElement & { reset(): Promise<void> }}
 */
export function pagedList({ label, fetchPage, render, pageSize = 20, empty = 'Nothing here yet.' }) {
  let offset = 0;
  let total = 0;
  const list = h('ul', { class: 'list', 'aria-label': label });
  const summary = h('p', { class: 'muted' });
  const line = errorLine();
  const previous = h('button', { type: 'button' }, 'Previous');
  const next = h('button', { type: 'button' }, 'Next');
  const pager = h('div', { class: 'pager' }, previous, next);
  const element = /** @type {HTMLDivElement & { reset(): Promise<void> }} */ (h('div', { class: 'paged' }, summary, list, pager, line));

  // Only the latest request may fill the list: an older answer arriving late is dropped.
  let latest = 0;
  /** @param {number} at */
  async function show(at) {
    const request = ++latest;
    await busy(element, line, async () => {
      const page = itemsOf(await fetchPage(at, pageSize));
      if (request !== latest) return;
      offset = at;
      total = page.total;
      fill(list, page.items.map(render));
      summary.textContent = total === 0 ? empty
        : total <= pageSize ? `${total} in all.`
        : `${offset + 1}–${offset + page.items.length} of ${total}.`;
    });
    previous.disabled = offset === 0;
    next.disabled = offset + pageSize >= total;
    pager.hidden = total <= pageSize;
  }
  previous.addEventListener('click', () => show(Math.max(0, offset - pageSize)));
  next.addEventListener('click', () => show(offset + pageSize));
  element.reset = () => show(0);
  show(0);
  return element;
}

/** @type {(a: Date, b: Date) => boolean} */
const sameDay = (a, b) => a.toDateString() === b.toDateString();
/**
 * "14:05" today, "25 Nov, 14:05" before.
 * @param {string} rfc3339
 */
export function when(rfc3339) {
  const date = new Date(rfc3339);
  const time = date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  return sameDay(date, new Date()) ? time : `${date.toLocaleDateString([], { day: 'numeric', month: 'short' })}, ${time}`;
}

/**
 * A time as every list shows it: short (`when`), the full date and time on hover.
 * @param {string} rfc3339
 */
export const timeOf = (rfc3339) => h('time', { datetime: rfc3339, title: new Date(rfc3339).toLocaleString() }, when(rfc3339));

/**
 * A room's name for display; the API allows an empty one.
 * @param {string | null | undefined} name
 */
export const roomName = (name) => name || 'Unnamed room';
