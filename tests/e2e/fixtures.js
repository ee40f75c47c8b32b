// What the browser tests share: `person()` opens a browser context of its own (its own
// sessionStorage: one logged-in person), `api` calls the API directly to set the scene
// quickly, and every page fails its test on an uncaught exception, a console error from the
// app, or a Content-Security-Policy violation.

const base = require('@playwright/test');
const AxeBuilder = require('@axe-core/playwright').default;
const { expect } = base;

const PASSWORD = 'correct horse battery';

/** The API, called from Node, for setting the scene without clicking through it. */
class Api {
  constructor(baseURL) {
    this.baseURL = baseURL;
  }

  async call(method, path, { key, body, query } = {}) {
    const url = new URL(path, this.baseURL);
    for (const [name, value] of Object.entries(query ?? {})) url.searchParams.set(name, value);
    const headers = {};
    if (key) headers.Authorization = `Bearer ${key}`;
    if (body) headers['Content-Type'] = 'application/json';
    // `wrangler dev`'s own plain-text 503 when its watcher restarts the worker under a request
    // (seen at the first request after a start): the worker never answered; asked again, as
    // the Rust tests' helpers do, up to three times.
    let response;
    let text;
    for (let tries = 1; ; tries += 1) {
      response = await fetch(url, { method, headers, body: body && JSON.stringify(body) });
      text = await response.text();
      if (response.status !== 503 || !text.startsWith('Your worker restarted mid-request') || tries === 3) break;
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
    return text ? JSON.parse(text) : null;
  }

  /**
   * A new user: { id, key, name, handle, label, password }, `label` as the page names them
   * ("ana @ana.x1y2z3"). `{ handle: null }` makes an account without a handle.
   */
  async signUp(name, { handle = handleFor(name) } = {}) {
    const { user_id, key } = await this.call('POST', '/user', { body: { username: name, password: PASSWORD, handle } });
    return { id: user_id, key, name, handle, label: handle ? `${name} @${handle}` : name, password: PASSWORD };
  }

  async createRoom(owner, name, open = true) {
    return (await this.call('POST', '/room', { key: owner.key, body: { name, open } })).room_id;
  }

  /** An admin invites `user`, who accepts: the way into a closed room. */
  async add(admin, roomId, user) {
    await this.call('POST', `/room/${roomId}/invites`, { key: admin.key, body: { user_id: user.id } });
    return this.join(user, roomId);
  }

  /** Ana's open room named `name` (made unique), with Bo in it too: `{ ana, bo, roomId }`. */
  async twoMembers(name = 'hall') {
    const ana = await this.signUp('ana');
    const bo = await this.signUp('bo');
    const roomId = await this.createRoom(ana, unique(name));
    await this.join(bo, roomId);
    return { ana, bo, roomId };
  }

  join(user, roomId) {
    return this.call('POST', `/room/${roomId}/members`, { key: user.key });
  }

  post(user, roomId, text) {
    return this.call('POST', `/room/${roomId}/messages`, { key: user.key, body: { text } });
  }
}

/** A short random word, so that names made by parallel tests never collide. */
const unique = (prefix) => `${prefix}-${Math.random().toString(36).slice(2, 8)}`;

/** A handle no other test takes: the name's letters and digits, a dot, a random word. */
const handleFor = (name) => `${(name.toLowerCase().replace(/[^a-z0-9]/g, '') || 'user').slice(0, 20)}.${Math.random().toString(36).slice(2, 8)}`;

const test = base.test.extend({
  baseURL: async ({}, use) => {
    await use(process.env.CHATROOMS_E2E_URL);
  },

  api: async ({ baseURL }, use) => {
    await use(new Api(baseURL));
  },

  /** `await person({ width })`: a page in a fresh context of its own. */
  person: async ({ browser, baseURL }, use) => {
    const contexts = [];
    const problems = [];
    await use(async ({ width = 1280, height = 900, ...options } = {}) => {
      const context = await browser.newContext({ baseURL, viewport: { width, height }, ...options });
      contexts.push(context);
      const page = await context.newPage();
      page.on('pageerror', (error) => problems.push(`uncaught: ${error.message}`));
      page.on('console', (message) => {
        // The browser logs every 4xx/5xx answer as "Failed to load resource", and a socket
        // it could not open as "WebSocket connection to … failed"; the tests provoke those on
        // purpose, and the app shows them in the page (or reconnects).
        const text = message.text();
        if (message.type() === 'error' && !text.startsWith('Failed to load resource') && !/^WebSocket connection to .* failed/.test(text)) {
          problems.push(`console: ${message.text()}`);
        }
      });
      return page;
    });
    await Promise.all(contexts.map((context) => context.close()));
    expect(problems, 'page errors, app console errors or CSP violations').toEqual([]);
  },
});

// Steps through the app the way a person does.

/** Signs up in the page with a fresh handle, and returns the handle. */
async function signUpInPage(page, name, password = PASSWORD, handle = handleFor(name)) {
  await page.goto('/#/signup');
  await page.getByLabel('Username').fill(name);
  await page.getByLabel('Handle').fill(handle);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('heading', { name: `Welcome, ${name}` })).toBeVisible();
  return handle;
}

/** Fills the login form with a handle (or a user id) and a password, and sends it. */
async function logInInPage(page, login, password = PASSWORD) {
  await page.goto('/#/login');
  await page.getByLabel('Handle or user id').fill(login);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
}

/** Logs in and waits for "My rooms". */
async function logIn(page, user) {
  await logInInPage(page, user.handle ?? user.id, user.password);
  await expect(page.getByRole('heading', { name: 'My rooms' })).toBeVisible();
}

/** Opens a room by its address and waits until its conversation is there. */
async function openRoom(page, roomId) {
  await page.goto(`/#/room/${roomId}`);
  await expect(page.getByRole('region', { name: 'Message history' })).toBeVisible();
}

const history = (page) => page.getByRole('region', { name: 'Message history' });
const messageTexts = (page) => history(page).locator('.msg .text').allTextContents();
/** A message shown in the history, by (part of) its text. */
const messageRow = (page, text) => history(page).locator('.msg').filter({ has: page.locator('.text', { hasText: text }) });

/** A regular expression that matches exactly `text`. */
/** `text` as a regular expression matching it literally. */
const escaped = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const exactly = (text) => new RegExp(`^${escaped(text)}$`);

/**
 * Posts from the page and resolves once the server has taken the message (a `sent` over the
 * socket, or a 201 by HTTP): until then it is shown as on its way (`.pending`).
 */
async function postInPage(page, text) {
  const box = page.getByRole('textbox', { name: 'Message' });
  await box.fill(text);
  const taken = history(page).locator('.msg.mine:not(.pending) .text').filter({ hasText: exactly(text) });
  const before = await taken.count();
  await box.press('Enter');
  await expect(taken).toHaveCount(before + 1);
}

/** axe on the page as it is: its serious and critical violations, each described. */
async function seriousViolations(page) {
  const { violations } = await new AxeBuilder({ page }).analyze();
  return violations
    .filter((violation) => ['serious', 'critical'].includes(violation.impact))
    .map((violation) => `${violation.id} (${violation.impact}): ${violation.help} at ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`);
}

/**
 * A member's row in the room's members list: the row whose person starts with `name` (a name, or
 * a label "ana @ana.x1y2z3"), so that "bo" is not found inside someone else's handle.
 */
const memberRow = (page, name) =>
  page.getByRole('list', { name: 'Members' }).getByRole('listitem')
    .filter({ has: page.locator('.who', { hasText: new RegExp(`^${escaped(name)}(\\s|$)`) }) });

/**
 * Watches a page for `userId`'s inbox: the sockets it opens (paths), the frames its inbox
 * received (`frames`, parsed), and its readings of the person's rooms list (`listed()`, those
 * asked for). `settled()` waits for the inbox's one socket and its hello, and for the list's
 * readings, when the page opened and again on the hello (what changed while the inbox opened),
 * to be done: what comes after is news.
 */
function watchInbox(page, userId) {
  const list = `/user/${userId}/rooms`;
  const inbox = `/user/${userId}/live`;
  const isList = (request) => request.method() === 'GET' && new URL(request.url()).pathname === list;
  const sockets = [];
  const frames = [];
  let asked = 0;
  let finished = 0;
  page.on('request', (request) => { if (isList(request)) asked += 1; });
  page.on('requestfinished', (request) => { if (isList(request)) finished += 1; });
  page.on('websocket', (socket) => {
    const path = new URL(socket.url()).pathname;
    sockets.push(path);
    if (path === inbox) socket.on('framereceived', ({ payload }) => frames.push(JSON.parse(String(payload))));
  });
  const hellos = () => frames.filter((frame) => frame.type === 'hello').length;
  return {
    sockets,
    frames,
    listed: () => asked,
    async settled() {
      await expect.poll(() => sockets.filter((path) => path === inbox).length).toBe(1);
      await expect.poll(hellos).toBe(1);
      await expect.poll(() => finished >= 2 && finished === asked).toBe(true);
    },
  };
}

/**
 * `user` joins the room `joins`, so that the page (watched by `inbox`, from `watchInbox`) reads
 * their rooms list again; the server answers that reading at once, then `change()` changes the
 * room `roomId` (a post, say), and the answer reaches the page only after the inbox pushed that
 * change: what a slow network does to an answer read before a push.
 */
async function listedAcrossAPush(page, inbox, api, { user, joins, change, roomId }) {
  let release;
  const released = new Promise((resolve) => { release = resolve; });
  let answered = 0;
  await page.route((url) => url.pathname === `/user/${user.id}/rooms`, async (route) => {
    const response = await route.fetch();
    answered += 1;
    await released;
    await route.fulfill({ response });
  });
  const before = inbox.listed();
  await api.join(user, joins);
  await expect.poll(() => inbox.frames.some((frame) => frame.type === 'joined' && frame.room_id === joins)).toBe(true);
  await expect.poll(() => answered >= 1 && answered === inbox.listed() - before).toBe(true);
  await change();
  await expect.poll(() => inbox.frames.some((frame) => frame.type === 'room_activity' && frame.room_id === roomId)).toBe(true);
  release();
}

module.exports = {
  test, expect, Api, PASSWORD, unique, exactly, signUpInPage, logInInPage, logIn, openRoom, history, messageTexts, messageRow, postInPage, memberRow,
  seriousViolations, watchInbox, listedAcrossAPush,
};
