// Logging in (by user id and password) and signing up (which shows the new user id, since
// that id is what one logs in with).

import * as api from '../api.js';
import { h } from '../dom.js';
import * as session from '../session.js';
import { copyField, errorLine, field, navigate, onSubmit, userText } from '../ui.js';

/** @param {HTMLElement} main */
export function renderLogin(main) {
  const userId = field('User id', {
    name: 'user_id', required: true, autocomplete: 'username', spellcheck: 'false', autocapitalize: 'off',
    value: session.lastUserId(), class: 'mono',
  }, 'The id you were given when you signed up, like 3b2a1c0d-….');
  const password = field('Password', { name: 'password', type: 'password', required: true, autocomplete: 'current-password' });
  const line = errorLine();
  const form = h('form', { class: 'card narrow', 'aria-labelledby': 'login-title' },
    h('h1', { id: 'login-title' }, 'Log in'),
    userId, password, line,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Log in')),
    h('p', {}, 'No account yet? ', h('a', { href: '#/signup' }, 'Sign up')));

  onSubmit(form, line, async (data) => {
    const user_id = /** @type {string} a text field */ (data.get('user_id')).trim();
    const { key } = await api.logIn(user_id, /** @type {string} a text field */ (data.get('password')));
    // The key is what the API needs; the name is only for the header. Try the name, never fail on it.
    const username = await api.username(user_id).catch(() => null);
    session.save({ user_id, key, username: username ?? user_id });
    navigate(session.takeReturn(user_id) ?? '#/mine');
  });
  main.append(form);
  // An id is already filled in: the password is what is left to type.
  if (userId.control.value) queueMicrotask(() => password.control.focus());
}

/** @param {HTMLElement} main */
export function renderSignUp(main) {
  const username = field('Username', {
    name: 'username', required: true, maxlength: 64, autocomplete: 'nickname', autocapitalize: 'off',
  }, 'What others see; 1 to 64 characters. You log in with the user id you get next, not with this name.');
  const password = field('Password', {
    name: 'password', type: 'password', required: true, minlength: 8, maxlength: 1024, autocomplete: 'new-password',
  }, 'At least 8 characters.');
  const line = errorLine();
  const form = h('form', { class: 'card narrow', 'aria-labelledby': 'signup-title' },
    h('h1', { id: 'signup-title' }, 'Sign up'),
    username, password, line,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Create account')),
    h('p', {}, 'Already have an account? ', h('a', { href: '#/login' }, 'Log in')));

  onSubmit(form, line, async (data) => {
    const name = /** @type {string} a text field */ (data.get('username'));
    const { user_id, key } = await api.signUp(name, /** @type {string} a text field */ (data.get('password')));
    session.save({ user_id, key, username: name });
    window.dispatchEvent(new Event('chatrooms:session'));
    form.replaceWith(welcome(name, user_id));
    /** @type {HTMLElement} welcome() has it */ (document.getElementById('welcome-title')).focus();
  });
  main.append(form);
}

/**
 * After signing up: the new user id, big, with a copy button; it is the login name.
 * @param {string} name
 * @param {import('../api.js').UserId} userId
 */
function welcome(name, userId) {
  return h('section', { class: 'card narrow welcome', 'aria-labelledby': 'welcome-title' },
    h('h1', { id: 'welcome-title', tabindex: -1 }, 'Welcome, ', userText(name)),
    h('p', {}, h('strong', {}, 'You log in with this user id, not with your name.'), ' Copy it and keep it somewhere safe: nobody can look it up for you.'),
    copyField('Your user id', userId, { big: true }),
    h('div', { class: 'actions' }, h('a', { class: 'button primary', href: '#/mine' }, 'Continue to my rooms')));
}
