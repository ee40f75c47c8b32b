// Pieces the views share: the app-wide flash message, forms that show their own errors,
// confirmation dialogs, user labels, a copyable field and paged lists.

import { ApiError, username } from './api.js';
import { fill, h, uid } from './dom.js';

/** Goes to a route; going to the current one renders it again. */
export function navigate(hash) {
  if (location.hash === hash) window.dispatchEvent(new HashChangeEvent('hashchange'));
  else location.hash = hash;
}

// A flash survives the navigation that follows it (it usually explains that navigation), then goes.
let flashAge = 0;

/** A message for the whole app, shown under the header (`null` clears it). */
export function flash(message, kind = 'info') {
  const region = document.getElementById('flash');
  region.className = `flash ${kind}`;
  fill(region, message ? h('p', {}, message) : null);
  flashAge = 0;
}

/** Called by the router on every navigation. */
export function ageFlash() {
  if (flashAge++ > 0) fill(document.getElementById('flash'));
}

/** What to tell a person about a failure. Unexpected ones are logged for developers too. */
export function messageOf(error) {
  if (error instanceof ApiError) return error.message;
  console.error(error);
  return `Something went wrong in this page: ${error?.message ?? error}`;
}

/** A line that shows a form's or a panel's failures; `role=alert` reads them out at once. */
export function errorLine() {
  return h('p', { class: 'error', role: 'alert', hidden: true });
}

export function showError(line, error) {
  // After a dead key the app is already on the login page with its own explanation.
  if (error?.sessionEnded) return;
  line.textContent = error ? messageOf(error) : '';
  line.hidden = !error;
}

/**
 * Runs `action` on submit with the form's buttons disabled, and shows any failure in the
 * form's error line. `action` gets the form's FormData.
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

/** Runs `action` with the controls inside `scope` disabled; failures go to `line`. */
export async function busy(scope, line, action) {
  const controls = [...scope.querySelectorAll('button, input, select, textarea')].filter((c) => !c.disabled);
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

/** A labelled input: returns the wrapper; the control is its `.control`. */
export function field(label, props = {}, hint = null) {
  const id = uid('f');
  const hintId = hint ? `${id}-hint` : null;
  const control = h('input', { ...props, id, 'aria-describedby': hintId });
  const wrapper = h('div', { class: 'field' }, h('label', { for: id }, label), control, hint && h('p', { class: 'hint', id: hintId }, hint));
  wrapper.control = control;
  return wrapper;
}

/** A modal yes/no question; resolves to true when confirmed. Escape or Cancel answer no. */
export function confirmDialog(question, confirmLabel, { danger = true } = {}) {
  return new Promise((resolve) => {
    const titleId = uid('dialog');
    const cancel = h('button', { type: 'button', value: 'cancel' }, 'Cancel');
    const confirm = h('button', { type: 'button', class: danger ? 'danger' : 'primary' }, confirmLabel);
    const dialog = h('dialog', { 'aria-labelledby': titleId },
      h('p', { id: titleId }, question),
      h('div', { class: 'actions' }, cancel, confirm));
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

/** An id shortened for display; the full id is in the element's title. */
export const shortId = (id) => `${id.slice(0, 8)}…`;

/**
 * A user's name, filled in once known: "ana 3b2a1c0d…". Usernames need not be unique, so the
 * start of the id stays visible. `onName` gets the name too (for buttons that mention it).
 */
export function userLabel(id, onName = () => {}) {
  const name = h('span', { class: 'name' });
  const label = h('span', { class: 'user', title: id }, name, ' ', h('span', { class: 'uid' }, shortId(id)));
  username(id).then((found) => {
    name.textContent = found ?? 'deleted account';
    onName(found ?? 'deleted account');
  }, () => { /* the id stays shown */ });
  return label;
}

/** A read-only value with a Copy button (the user id, which is what one logs in with). */
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

/** The API's two list shapes, a UserList or a RoomList, as what a paged list shows. */
function itemsOf(page) {
  return 'users' in page ? { items: page.users, total: page.user_count } : { items: page.rooms, total: page.room_count };
}

/**
 * A list paged by the API's offset and limit: `fetchPage(offset, limit)` is the API call (it
 * resolves to a UserList or a RoomList), `render(item)` makes one <li>. Previous/Next buttons
 * page through it; `element.reset()` goes back to the first page, read again.
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
  const element = h('div', { class: 'paged' }, summary, list, pager, line);

  // Only the latest request may fill the list: an older answer arriving late is dropped.
  let latest = 0;
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

const sameDay = (a, b) => a.toDateString() === b.toDateString();
/** "14:05" today, "25 Nov, 14:05" before. */
export function when(rfc3339) {
  const date = new Date(rfc3339);
  const time = date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  return sameDay(date, new Date()) ? time : `${date.toLocaleDateString([], { day: 'numeric', month: 'short' })}, ${time}`;
}

/** A room's name for display; the API allows an empty one. */
export const roomName = (name) => name || 'Unnamed room';
