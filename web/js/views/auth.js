// Logging in (by handle, or by user id, and password) and signing up (with a handle, which is
// what one logs in with and others find one by).

import * as api from '../api.js';
import { h } from '../dom.js';
import * as session from '../session.js';
import { errorLine, field, handleOf, navigate, onSubmit, userText } from '../ui.js';

/** A user id (what accounts made before handles log in with); anything else is a handle. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What a handle may be: 3 to 32 of a-z 0-9 . _ -, starting and ending with a letter or digit. */
export const HANDLE_PATTERN = '[A-Za-z0-9][A-Za-z0-9._\\-]{1,30}[A-Za-z0-9]';

/** @param {HTMLElement} main */
export function renderLogin(main) {
  const userId = field('Handle or user id', {
    name: 'login', required: true, autocomplete: 'username', spellcheck: 'false', autocapitalize: 'off',
    value: session.lastUserId(),
  }, 'Your handle, like ana.lee (with or without the @); an account made before handles logs in with its user id.');
  const password = field('Password', { name: 'password', type: 'password', required: true, autocomplete: 'current-password' });
  const line = errorLine();
  const form = h('form', { class: 'card narrow', 'aria-labelledby': 'login-title' },
    h('h1', { id: 'login-title' }, 'Log in'),
    userId, password, line,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Log in')),
    h('p', {}, 'No account yet? ', h('a', { href: '#/signup' }, 'Sign up')));

  onSubmit(form, line, async (data) => {
    const login = handleOf(/** @type {string} a text field */ (data.get('login')));
    const password = /** @type {string} a text field */ (data.get('password'));
    const { key, user_id } = await api.logIn(UUID.test(login) ? { user_id: login } : { handle: login }, password);
    // The key is what the API needs; the name is only for the header. Try the name, never fail on it.
    const profile = await api.profile(user_id).catch(() => null);
    session.save({ user_id, key, username: profile?.username ?? login, handle: profile?.handle ?? null });
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
  }, 'What others see; 1 to 64 characters, need not be unique.');
  const handle = field('Handle', {
    name: 'handle', required: true, minlength: 3, maxlength: 32, pattern: HANDLE_PATTERN,
    autocomplete: 'username', spellcheck: 'false', autocapitalize: 'off',
  }, 'Yours alone: you log in with it, and people find you by it. 3 to 32 letters, digits, dots, dashes or underscores.');
  const password = field('Password', {
    name: 'password', type: 'password', required: true, minlength: 8, maxlength: 1024, autocomplete: 'new-password',
  }, 'At least 8 characters.');
  const line = errorLine();
  const form = h('form', { class: 'card narrow', 'aria-labelledby': 'signup-title' },
    h('h1', { id: 'signup-title' }, 'Sign up'),
    username, handle, password, line,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Create account')),
    h('p', {}, 'Already have an account? ', h('a', { href: '#/login' }, 'Log in')));

  onSubmit(form, line, async (data) => {
    const name = /** @type {string} a text field */ (data.get('username'));
    const wanted = handleOf(/** @type {string} a text field */ (data.get('handle')));
    const created = await api.signUp(name, /** @type {string} a text field */ (data.get('password')), wanted);
    session.save({ user_id: created.user_id, key: created.key, username: name, handle: created.handle });
    window.dispatchEvent(new Event('chatrooms:session'));
    form.replaceWith(welcome(name, created.handle ?? wanted));
    /** @type {HTMLElement} welcome() has it */ (document.getElementById('welcome-title')).focus();
  });
  main.append(form);
}

/**
 * After signing up: the handle one logs in with.
 * @param {string} name
 * @param {string} handle
 */
function welcome(name, handle) {
  return h('section', { class: 'card narrow welcome', 'aria-labelledby': 'welcome-title' },
    h('h1', { id: 'welcome-title', tabindex: -1 }, 'Welcome, ', userText(name)),
    h('p', {}, 'You log in as ', h('strong', { class: 'big-handle' }, userText(`@${handle}`)),
      ' with your password, and people find you by that handle. You can change it on your account page.'),
    h('div', { class: 'actions' }, h('a', { class: 'button primary', href: '#/mine' }, 'Continue to my rooms')));
}
