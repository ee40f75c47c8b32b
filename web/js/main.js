// Boots the app: the router (hash-based, so the worker only ever serves index.html at `/`),
// the header's navigation, and the last-resort handlers that keep failures out of the console only.

import * as api from './api.js';
import { fill, h } from './dom.js';
import * as session from './session.js';
import { ageFlash, flash, messageOf, navigate, userText } from './ui.js';
import { renderLogin, renderSignUp } from './views/auth.js';
import { renderDirectory, renderMyRooms } from './views/rooms.js';
import { renderRoom } from './views/room.js';
import { renderAccount } from './views/account.js';
import { renderMentions } from './views/mentions.js';
import { createSidebar } from './views/sidebar.js';
import { stopInbox } from './inbox.js';

// index.html has every element this file looks up by id.
const main = /** @type {HTMLElement} */ (document.getElementById('main'));
const sidebarSlot = /** @type {HTMLElement} */ (document.getElementById('sidebar'));

// Each route: a view `render(main, ...params)` that may return a cleanup function (the room
// view stops polling in it), and whether it needs a logged-in user.
/**
 * @typedef {object} Route
 * @property {RegExp} path its groups are the view's parameters
 * @property {(main: HTMLElement, ...params: string[]) => (() => void) | void} view
 * @property {string} title
 * @property {string} name what `body[data-view]` says (the layout depends on it)
 * @property {boolean} [guest] for people who are not logged in, only
 * @property {string} [nav] the header link it highlights
 */
/** @type {Route[]} */
const routes = [
  { path: /^#\/login$/, view: renderLogin, title: 'Log in', name: 'login', guest: true },
  { path: /^#\/signup$/, view: renderSignUp, title: 'Sign up', name: 'signup', guest: true },
  { path: /^#\/mine$/, view: renderMyRooms, title: 'My rooms', name: 'mine', nav: '#/mine' },
  { path: /^#\/rooms$/, view: renderDirectory, title: 'Directory', name: 'directory', nav: '#/rooms' },
  { path: /^#\/mentions$/, view: renderMentions, title: 'Mentions', name: 'mentions', nav: '#/mentions' },
  { path: /^#\/room\/([^/]+)$/, view: renderRoom, title: 'Room', name: 'room' },
  { path: /^#\/account$/, view: renderAccount, title: 'Account', name: 'account', nav: '#/account' },
];

/** @type {(() => void) | null} */
let cleanup = null;
let navigated = false;

function route() {
  let hash = location.hash;
  try {
    hash = decodeURI(hash);
  } catch {
    // A malformed %-escape: match it as it is (it will not match a route).
  }
  const signedIn = Boolean(session.current());
  const match = routes.map((r) => ({ r, m: r.path.exec(hash) })).find(({ m }) => m);
  if (!match) return navigate(signedIn ? '#/mine' : '#/login');
  const { r, m } = /** @type {{ r: Route, m: RegExpExecArray }} `find` kept only a match */ (match);
  if (!r.guest && !signedIn) {
    // After logging in, the login view comes back here.
    session.rememberReturn(hash);
    return navigate('#/login');
  }
  if (r.guest && signedIn) return navigate('#/mine');

  ageFlash();
  if (cleanup) cleanup();
  cleanup = null;
  activeNav = r.nav;
  renderNav(r.nav);
  document.body.dataset.view = r.name;
  showSidebar(r.name === 'room' ? m[1] : null);
  document.title = `${r.title} · chatrooms`;
  fill(main);
  try {
    cleanup = r.view(main, ...m.slice(1)) ?? null;
  } catch (error) {
    fill(main, h('h1', {}, 'This page failed'), h('p', { class: 'error', role: 'alert' }, messageOf(error)));
  }
  // After a navigation, keyboard and screen-reader users start at the new view's heading, not
  // at the old focus. The first view of a page load leaves focus alone: the skip link first.
  const heading = main.querySelector('h1');
  if (heading) heading.tabIndex = -1;
  if (heading && navigated) heading.focus({ preventScroll: true });
  navigated = true;
  window.scrollTo(0, 0);
}

/**
 * The sidebar of the person logged in (made anew for another login), or null.
 * @type {{ key: string, sidebar: ReturnType<typeof createSidebar> } | null}
 */
let side = null;

/**
 * Shows the sidebar beside the page once logged in (but on My rooms, the same list in full),
 * with `roomId`'s room marked open; takes it away after logging out.
 * @param {string | null} roomId
 */
function showSidebar(roomId) {
  const key = session.current()?.key ?? null;
  if (side && side.key !== key) {
    side.sidebar.stop();
    side = null;
    fill(sidebarSlot);
  }
  if (!side && key) {
    side = { key, sidebar: createSidebar() };
    fill(sidebarSlot, side.sidebar.element);
  }
  if (!key) stopInbox();
  side?.sidebar.show(roomId);
  const shown = Boolean(side) && document.body.dataset.view !== 'mine';
  sidebarSlot.hidden = !shown;
  document.body.classList.toggle('with-sidebar', shown);
}

/** @type {string | undefined | null} the link of the page shown */
let activeNav = null;

/** @param {string | undefined | null} active the link of the page shown */
function renderNav(active) {
  const nav = /** @type {HTMLElement} */ (document.getElementById('nav'));
  const mine = /** @type {HTMLElement} */ (document.getElementById('me'));
  const me = session.current();
  if (!me) return [nav, mine].forEach((element) => fill(element));
  /** @type {(href: string, text: string) => HTMLAnchorElement} */
  const link = (href, text) => h('a', { href, 'aria-current': href === active ? 'page' : null }, text);
  fill(nav, h('ul', {},
    h('li', {}, link('#/mine', 'My rooms')), h('li', {}, link('#/mentions', 'Mentions')),
    h('li', {}, link('#/rooms', 'Directory')), h('li', {}, link('#/account', 'Account'))));
  fill(mine,
    h('span', { class: 'who' }, userText(me.username), me.handle && h('span', { class: 'handle' }, ' ', userText(`@${me.handle}`))),
    h('button', { type: 'button', class: 'small', onclick: logOut }, 'Log out'));
}

async function logOut() {
  try {
    await api.logOut();
  } catch {
    // The key is being thrown away either way.
  }
  session.clear();
  flash('You are logged out.');
  navigate('#/login');
}

// The one reaction to a dead key, whichever request found it.
api.onSessionEnded((_error, user_id) => {
  // Several requests in flight can find the same dead key: the first one has already moved on.
  if (/^#\/(login|signup)$/.test(location.hash)) return;
  session.rememberReturn(location.hash, user_id);
  flash('Your session has ended (it expired or was revoked). Please log in again.', 'error');
  navigate('#/login');
});

// Signing up logs in without leaving the page (it welcomes first), and a handle changes on the
// account page: refresh the header, keeping the page's link marked.
window.addEventListener('chatrooms:session', () => renderNav(activeNav));

// Nothing may fail silently: whatever escaped a view is shown in the page.
window.addEventListener('unhandledrejection', (event) => {
  if (event.reason?.sessionEnded) return event.preventDefault();
  flash(messageOf(event.reason), 'error');
});
window.addEventListener('error', (event) => flash(messageOf(event.error ?? event.message), 'error'));

// The skip link moves focus without touching the hash, which belongs to the router.
/** @type {HTMLElement} */ (document.querySelector('.skip')).addEventListener('click', (event) => {
  event.preventDefault();
  main.focus();
});

window.addEventListener('hashchange', route);
route();
