// The account: the user id to share and log in with, changing the password, deleting the account.

import * as api from '../api.js';
import { h } from '../dom.js';
import * as session from '../session.js';
import { confirmDialog, copyField, errorLine, field, flash, navigate, onSubmit, userText } from '../ui.js';

/** @param {HTMLElement} main */
export function renderAccount(main) {
  const me = /** @type {import('../session.js').Session} the route needs a login */ (session.current());
  main.append(
    h('h1', {}, 'Your account'),
    h('section', { class: 'card', 'aria-labelledby': 'id-title' },
      h('h2', { id: 'id-title' }, userText(me.username)),
      h('p', {}, 'You log in with your user id, and others add you to closed rooms with it.'),
      copyField('Your user id', me.user_id)),
    passwordForm(),
    deleteForm());
}

/** Tells password managers whose password a form holds (the user id is the login name). */
const accountName = () => h('input', {
  type: 'text', name: 'username', autocomplete: 'username', value: /** @type {import('../session.js').Session} the route needs a login */ (session.current()).user_id, hidden: true, 'aria-hidden': 'true', tabindex: -1,
});

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
      throw new api.ApiError(400, 'The new password and its repetition differ.');
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
    h('p', {}, 'Your sessions end and you leave every room. Rooms you own pass to their longest-standing admin or member, or are deleted if nobody is left. Your messages stay, under your user id.'),
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
