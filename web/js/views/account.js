// The account: one's handle (to log in with and be found by) and changing it, the user id,
// changing the password, deleting the account.

import * as api from '../api.js';
import { h } from '../dom.js';
import * as session from '../session.js';
import { confirmDialog, copyField, errorLine, field, flash, handleOf, navigate, onSubmit, pagedList, userText } from '../ui.js';
import { HANDLE_PATTERN } from './auth.js';

/** @param {HTMLElement} main */
export function renderAccount(main) {
  const me = /** @type {import('../session.js').Session} the route needs a login */ (session.current());
  main.append(
    h('h1', {}, 'Your account'),
    h('section', { class: 'card', 'aria-labelledby': 'id-title' },
      h('h2', { id: 'id-title' }, userText(me.username)),
      h('p', {}, 'Your user id is shown here only: nobody needs it. An account made before handles can log in with it.'),
      copyField('Your user id', me.user_id)),
    handleForm(me),
    blockedPeople(),
    passwordForm(),
    deleteForm());
}

/** Tells password managers whose password a form holds (the login name: the handle). */
const accountName = () => {
  const me = /** @type {import('../session.js').Session} the route needs a login */ (session.current());
  return h('input', {
    type: 'text', name: 'username', autocomplete: 'username', value: me.handle ?? me.user_id, hidden: true, 'aria-hidden': 'true', tabindex: -1,
  });
};

/**
 * One's handle: what one logs in with and is found by. The one given up is kept for oneself
 * for 30 days.
 * @param {import('../session.js').Session} me
 */
function handleForm(me) {
  const current = h('p', {});
  const show = (/** @type {string | null | undefined} */ handle) => {
    current.replaceChildren(...(handle
      ? ['You log in as ', h('strong', {}, userText(`@${handle}`)), ', and people find you by it.']
      : ['You have no handle yet: choose one, to log in with it and be found by it.']));
  };
  show(me.handle);
  // Accounts logged in before handles existed: the session has none; ask the server.
  if (me.handle === undefined) api.profile(me.user_id).then((found) => show(found?.handle), () => {});
  const handle = field('New handle', {
    name: 'handle', required: true, minlength: 3, maxlength: 32, pattern: HANDLE_PATTERN,
    spellcheck: 'false', autocapitalize: 'off', autocomplete: 'off',
  }, 'The handle you have now stays yours for 30 days: nobody else can take it meanwhile.');
  const line = errorLine();
  const done = h('p', { class: 'status', role: 'status' });
  const form = h('form', { class: 'card', 'aria-labelledby': 'handle-title' },
    h('h2', { id: 'handle-title' }, 'Your handle'), current, handle, line, done,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Change handle')));
  onSubmit(form, line, async (data) => {
    done.textContent = '';
    const wanted = handleOf(/** @type {string} a text field */ (data.get('handle')));
    const changed = await api.changeHandle(wanted);
    const session_ = /** @type {import('../session.js').Session} the route needs a login */ (session.current());
    session.save({ ...session_, handle: changed.handle });
    api.forgetProfile(session_.user_id);
    window.dispatchEvent(new Event('chatrooms:session'));
    show(changed.handle);
    form.reset();
    done.textContent = `Your handle is now @${changed.handle}.`;
  });
  return form;
}

/** Whom one blocked, each with an Unblock button. */
function blockedPeople() {
  const status = h('p', { class: 'status', role: 'status' });
  /** @type {HTMLDivElement & { reset(): Promise<void> }} */
  const list = pagedList({
    label: 'Blocked people',
    fetchPage: (offset, limit) => api.blocks(offset, limit),
    render: (person) => {
      const shown = api.displayName(person);
      const unblock = h('button', { type: 'button', class: 'small' }, 'Unblock', h('span', { class: 'sr-only' }, ' ', userText(shown)));
      unblock.addEventListener('click', async () => {
        unblock.disabled = true;
        try {
          await api.setBlocked(/** @type {import('../api.js').UserId} */ (person.user_id), false);
          window.dispatchEvent(new Event('chatrooms:blocks-changed'));
          status.replaceChildren(userText(shown), ' is unblocked.');
          await list.reset();
        } catch (/** @type {any} an ApiError */ error) {
          unblock.disabled = false;
          status.textContent = error.message;
        }
      });
      return h('li', { class: 'person' }, h('span', { class: 'who' }, userText(shown)), h('span', { class: 'buttons' }, unblock));
    },
    empty: 'You have blocked nobody.',
  });
  return h('section', { class: 'card', 'aria-labelledby': 'blocked-title' },
    h('h2', { id: 'blocked-title' }, 'Blocked people'),
    h('p', { class: 'muted' }, 'Their messages are hidden from you (you can show each one); they cannot invite you anywhere or write to you directly. Block someone from a room\'s member list.'),
    list, status);
}

function passwordForm() {
  const current = field('Current password', { name: 'password', type: 'password', required: true, autocomplete: 'current-password' });
  const next = field('New password', { name: 'new_password', type: 'password', required: true, minlength: 8, maxlength: 1024, autocomplete: 'new-password' }, 'At least 8 characters.');
  const again = field('New password again', { name: 'again', type: 'password', required: true, autocomplete: 'new-password' });
  const line = errorLine();
  const done = h('p', { class: 'status', role: 'status' });
  const form = h('form', { class: 'card', 'aria-labelledby': 'password-title' },
    h('h2', { id: 'password-title' }, 'Change your password'),
    h('p', { class: 'muted' }, 'Every other session of yours is logged out; this one stays.'),
    accountName(),
    current, next, again, line, done,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Change password')));
  onSubmit(form, line, async (data) => {
    done.textContent = '';
    if (data.get('new_password') !== data.get('again')) {
      again.control.focus();
      throw new api.ApiError(400, null, { message: 'The new password and its repetition differ.' });
    }
    await api.changePassword(/** @type {string} a text field */ (data.get('password')), /** @type {string} a text field */ (data.get('new_password')));
    form.reset();
    done.textContent = 'Your password was changed, and your other sessions were logged out.';
  });
  return form;
}

function deleteForm() {
  const password = field('Password', { name: 'password', type: 'password', required: true, autocomplete: 'current-password' });
  const line = errorLine();
  const form = h('form', { class: 'card danger-zone', 'aria-labelledby': 'delete-title' },
    h('h2', { id: 'delete-title' }, 'Delete your account'),
    h('p', {}, 'Your sessions end and you leave every room. Rooms you own pass to their longest-standing admin or member, or are deleted if nobody is left. Your messages stay. Your handle stays yours for 30 days: nobody else can take it meanwhile.'),
    accountName(), password, line,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'danger' }, 'Delete my account')));
  onSubmit(form, line, async (data) => {
    if (!(await confirmDialog('Delete your account for good? This cannot be undone.', 'Delete my account'))) return;
    await api.deleteAccount(/** @type {string} a text field */ (data.get('password')));
    session.clear();
    session.forgetLastUserId();
    flash('Your account was deleted.');
    navigate('#/login');
  });
  return form;
}
