// The client: one typed method per endpoint of the service (web/openapi.json), the session's key
// sent as `Authorization: Bearer`, and one error type. Runs in browsers, Workers and Node: it
// touches nothing but `fetch`, `WebSocket`, `URL`, timers and `crypto.randomUUID`, and takes
// `fetch` and `WebSocket` from its caller when given (a service binding's `fetch`, say).

import { ChatroomsError, CLOSE } from './errors.js';
import { Inbox } from './inbox.js';
import { RoomLive } from './live.js';

/** @typedef {import('./generated/openapi.js').operations} Operations */
/** @typedef {import('./generated/openapi.js').components['schemas']} Schemas */
/**
 * What operation `Id` answers with `Status`: its JSON, or null for an answer without a body (204).
 * @template {keyof Operations} Id
 * @template {keyof Operations[Id]['responses']} Status
 * @typedef {Operations[Id]['responses'][Status] extends { content: { 'application/json': infer T } } ? T : null} Answer
 */
/**
 * The JSON body operation `Id` takes, without the `key` (sent as a header).
 * @template {keyof Operations} Id
 * @typedef {Omit<NonNullable<Operations[Id]['requestBody']>['content'] extends { 'application/json': infer T } ? T : never, 'key'>} Body
 */
/**
 * The query operation `Id` takes, without the `key`.
 * @template {keyof Operations} Id
 * @typedef {Omit<NonNullable<Operations[Id]['parameters']['query']>, 'key'>} Query
 */
/** @typedef {{ offset?: number, limit?: number }} Page a page of a list: where it starts, how long */
/** @typedef {Schemas['UserId']} UserId */
/** @typedef {Schemas['User']} User */
/** @typedef {Schemas['Message']} Message */
/** @typedef {Schemas['DeletedMessage']} DeletedMessage */
/** @typedef {Schemas['Room']} Room */
/** @typedef {Schemas['MyRoom']} MyRoom */
/** @typedef {Schemas['File']} FileInfo */
/** @typedef {Schemas['Limits']} Limits */

/**
 * Whom the client acts for: the key and whose it is (the rest is the caller's to keep).
 * @typedef {{ user_id: UserId, key: string, [field: string]: unknown }} Session
 */
/**
 * Where the session lives, when the caller keeps it (a browser's sessionStorage, say); without
 * one it lives in the client.
 * @typedef {{ get(): Session | null, set(session: Session | null): void }} SessionStore
 */
/**
 * A WebSocket as browsers, Workers and Node (22+) have it: what the live sockets use of one.
 * @typedef {{ readonly readyState: number, send(data: string): void, close(code?: number, reason?: string): void,
 *   addEventListener(type: 'open' | 'message' | 'close' | 'error', listener: (event: any) => void): void }} SocketLike
 */
/** @typedef {new (url: string) => SocketLike} SocketConstructor */
/**
 * @typedef {object} ClientOptions
 * @property {string} [baseUrl] where the service is (default: the page's origin, in a browser)
 * @property {typeof fetch} [fetch] the `fetch` to call it with (a service binding's, in a Worker)
 * @property {SocketConstructor} [WebSocket] the WebSocket to open live sockets with (default: the global one)
 * @property {Session | null} [session] the session to start with (a key from an earlier login)
 * @property {SessionStore} [store] where to keep the session instead of in the client
 * @property {(error: ChatroomsError, session: Session) => void} [onSessionEnded] the key stopped
 *   working (a 401 to a call that sent it, or a socket closed with 4001): the client has
 *   forgotten it; `session` is the one that ended
 * @property {(answer: { status: number, error: string | null, retryAfter: number | null }) => string} [describe]
 *   the message of each ChatroomsError (default: the service's own text)
 * @property {number} [retries] how many times a GET is asked again when the service cannot be
 *   reached or is restarting (502, 503, 504): 2 by default
 */

const enc = encodeURIComponent;
const RETRY_MS = 250;
const RETRY_ON = new Set([502, 503, 504]);
/** The header the service's D1 bookmarks travel in, both ways (reads that see one's own writes). */
const BOOKMARK = 'X-D1-Bookmark';
// A page's own HTTP cache must not answer for the service; elsewhere there is none (and a
// Worker of an older compatibility date refuses the option).
const NO_STORE = typeof document === 'undefined' ? {} : { cache: /** @type {RequestCache} */ ('no-store') };

/** @param {number} ms */
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Makes a client of the service at `baseUrl`.
 * @param {ClientOptions} [options]
 */
export const createClient = (options) => new Client(options);

export class Client {
  /** @type {string} */
  #base;
  /** @type {typeof fetch} */
  #fetch;
  /** @type {SessionStore} */
  #store;
  /** @type {ClientOptions['onSessionEnded']} */
  #onSessionEnded;
  /** @type {NonNullable<ClientOptions['describe']>} */
  #describe;
  #retries;
  /** The caller gave its own `fetch` (a service binding's): every request goes through it. */
  #ownFetch;
  /** Requests of the client's own that end its session (logging out), under way. */
  #ending = 0;
  /** @type {Set<{ stop(): void, closeFor(code: number, text: string): void }>} */
  #running = new Set();
  /** @type {Inbox | null} */
  #inbox = null;
  /** @type {string | null} */
  #bookmark = null;

  /** @param {ClientOptions} [options] */
  constructor({ baseUrl, fetch: fetchImpl, WebSocket: socket, session = null, store, onSessionEnded, describe, retries = 2 } = {}) {
    const origin = globalThis.location?.origin;
    if (!baseUrl && !origin) throw new TypeError('createClient: baseUrl is required outside a browser');
    this.#base = String(baseUrl ?? origin);
    this.#fetch = fetchImpl ?? ((input, init) => globalThis.fetch(input, init));
    this.#ownFetch = Boolean(fetchImpl);
    /** @type {SocketConstructor | undefined} */
    this.WebSocket = socket ?? /** @type {SocketConstructor | undefined} */ (globalThis.WebSocket);
    let kept = session;
    this.#store = store ?? { get: () => kept, set: (value) => { kept = value; } };
    if (store && session) store.set(session);
    this.#onSessionEnded = onSessionEnded;
    this.#describe = describe ?? (({ status, error }) => error ?? `The service answered ${status}.`);
    this.#retries = retries;
  }

  /** The session the client acts for, or null. */
  get session() {
    return this.#store.get();
  }

  /** @param {Session | null} session */
  set session(session) {
    this.#store.set(session);
  }

  /** @returns {UserId} the session's user, or throws a 401 */
  get me() {
    const session = this.session;
    if (!session) throw new ChatroomsError(401, null, { message: 'Not logged in.' });
    return session.user_id;
  }

  /**
   * An absolute URL of the service.
   * @param {string} path
   * @param {Record<string, unknown>} [query] the null and undefined ones left out
   */
  url(path, query = {}) {
    const url = new URL(path, this.#base);
    for (const [name, value] of Object.entries(query)) {
      if (value != null) url.searchParams.set(name, String(value));
    }
    return url;
  }

  /**
   * One request: `body` as JSON, `auth` the key as a Bearer header. Resolves to the answer's
   * JSON (null for 204), or throws a ChatroomsError. A GET is asked again (`retries`) while the
   * service cannot be reached or answers 502/503/504.
   * @param {string} method
   * @param {string} path
   * @param {{ query?: Record<string, unknown>, body?: unknown, auth?: boolean }} [options]
   * @returns {Promise<any>} typed by each method
   */
  async call(method, path, { query, body, auth = false } = {}) {
    const response = await this.request(method, this.url(path, query), {
      auth, headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.status === 204) return null;
    return response.json().catch(() => {
      throw new ChatroomsError(response.status, null, { message: 'The service answered something that is not JSON.' });
    });
  }

  /**
   * A request whose answer is OK (2xx or 304), or a ChatroomsError: what `call` does but read
   * the answer, for the calls whose answer is not JSON (a file's bytes).
   * @param {string} method
   * @param {URL} url
   * @param {{ auth?: boolean, headers?: Record<string, string>, body?: BodyInit }} [options]
   * @returns {Promise<Response>}
   */
  async request(method, url, { auth = false, headers = {}, body } = {}) {
    const key = auth ? this.session?.key : null;
    if (auth && !key) throw new ChatroomsError(401, null, { message: this.#describe({ status: 401, error: 'not logged in', retryAfter: null }) });
    /** @type {Record<string, string>} */
    const sent = { Accept: 'application/json', ...headers };
    if (key) sent.Authorization = `Bearer ${key}`;
    if (this.#bookmark) sent[BOOKMARK] = this.#bookmark;
    const retries = method === 'GET' ? this.#retries : 0;
    for (let attempt = 0; ; attempt += 1) {
      /** @type {Response} */
      let response;
      try {
        response = await this.#fetch(url, { method, headers: sent, body, ...NO_STORE });
      } catch {
        if (attempt < retries) {
          await sleep(RETRY_MS * 2 ** attempt);
          continue;
        }
        throw new ChatroomsError(0, null, { message: this.#describe({ status: 0, error: null, retryAfter: null }) });
      }
      this.#keepBookmark(response.headers.get(BOOKMARK));
      if (RETRY_ON.has(response.status) && attempt < retries) {
        await response.body?.cancel();
        await sleep(RETRY_MS * 2 ** attempt);
        continue;
      }
      if (response.ok || response.status === 304) return response;
      throw await this.#refused(response, key);
    }
  }

  /**
   * A ChatroomsError worded by `describe`, for a refusal that is no HTTP answer (a socket's
   * `error` frame).
   * @param {number} status
   * @param {string | null} error
   */
  refusal(status, error) {
    return new ChatroomsError(status, error, { message: this.#describe({ status, error, retryAfter: null }) });
  }

  /**
   * Keeps the latest D1 bookmark the service answered with (bookmarks grow with the database's
   * history): sent with every request, so that a read a replica serves is at least as recent
   * as what this client last saw or wrote.
   * @param {string | null} bookmark
   */
  #keepBookmark(bookmark) {
    if (bookmark && (!this.#bookmark || bookmark > this.#bookmark)) this.#bookmark = bookmark;
  }

  /** The latest D1 bookmark the service answered with (`X-D1-Bookmark`), or null. */
  get bookmark() {
    return this.#bookmark;
  }

  /**
   * The ChatroomsError of a refusal; a 401 to a request that sent the key ends the session.
   * @param {Response} response
   * @param {string | null | undefined} key
   */
  async #refused(response, key) {
    const data = await response.json().catch(() => null);
    const error = typeof data?.error === 'string' ? data.error : null;
    const retryAfter = Number(response.headers.get('Retry-After')) || null;
    const refusal = new ChatroomsError(response.status, error, {
      retryAfter, message: this.#describe({ status: response.status, error, retryAfter }),
    });
    if (response.status === 401 && key && key === this.session?.key) this.endSession(refusal);
    return refusal;
  }

  /**
   * The session's key stopped working: forget it, stop every socket, and say so (once). A
   * socket's 4001 while the client itself is logging out is that logout's echo: nothing more.
   * @param {ChatroomsError} [error]
   */
  endSession(error = new ChatroomsError(401, 'key no longer valid')) {
    error.sessionEnded = true;
    if (this.#ending > 0 || !this.session) return error;
    const ended = this.session;
    this.session = null;
    const text = error.error ?? 'key no longer valid';
    this.#closeAll((connection) => connection.closeFor(CLOSE.KEY_ENDED, text));
    this.#onSessionEnded?.(error, ended);
    return error;
  }

  /**
   * A request of the client's own that ends its session: while it is under way, a socket's
   * 4001 ends nothing by itself; once it succeeds, the session is forgotten.
   * @template T
   * @param {() => Promise<T>} request
   * @returns {Promise<T>}
   */
  async #ending_(request) {
    this.#ending += 1;
    try {
      const answer = await request();
      this.session = null;
      this.stop();
      return answer;
    } finally {
      this.#ending -= 1;
    }
  }

  /**
   * Uploads `data` to `url` (a room's `/files`): the file as messages will show it. In a browser,
   * with the page's own `fetch`, `onProgress` hears each step (XMLHttpRequest: `fetch` says
   * nothing of an upload's progress); elsewhere it hears the end.
   * @param {URL} url
   * @param {Blob | ArrayBuffer | Uint8Array<ArrayBuffer> | string} data
   * @param {string} contentType
   * @param {((sent: number, total: number) => void) | undefined} onProgress
   * @returns {Promise<Answer<'uploadFile', 201>>}
   */
  async upload(url, data, contentType, onProgress) {
    if (onProgress && !this.#ownFetch && typeof XMLHttpRequest === 'function') return this.#uploadWithProgress(url, data, contentType, onProgress);
    const response = await this.request('POST', url, { auth: true, headers: { 'Content-Type': contentType }, body: data });
    /** @type {Answer<'uploadFile', 201>} */
    const file = await response.json();
    onProgress?.(file.size, file.size);
    return file;
  }

  /**
   * @param {URL} url
   * @param {Blob | ArrayBuffer | Uint8Array<ArrayBuffer> | string} data
   * @param {string} contentType
   * @param {(sent: number, total: number) => void} onProgress
   * @returns {Promise<Answer<'uploadFile', 201>>}
   */
  #uploadWithProgress(url, data, contentType, onProgress) {
    const key = this.session?.key;
    if (!key) return Promise.reject(new ChatroomsError(401, null, { message: this.#describe({ status: 401, error: 'not logged in', retryAfter: null }) }));
    return new Promise((resolve, reject) => {
      const request = new XMLHttpRequest();
      request.open('POST', url);
      request.setRequestHeader('Authorization', `Bearer ${key}`);
      request.setRequestHeader('Content-Type', contentType);
      request.setRequestHeader('Accept', 'application/json');
      if (this.#bookmark) request.setRequestHeader(BOOKMARK, this.#bookmark);
      request.upload.onprogress = (event) => onProgress(event.loaded, event.total);
      request.onload = () => {
        this.#keepBookmark(request.getResponseHeader(BOOKMARK));
        if (request.status === 201) {
          try {
            return resolve(JSON.parse(request.responseText));
          } catch {
            return reject(new ChatroomsError(201, null, { message: 'The service answered something that is not JSON.' }));
          }
        }
        const retryAfter = request.getResponseHeader('Retry-After');
        const answer = new Response(request.responseText, { status: request.status, headers: retryAfter ? { 'Retry-After': retryAfter } : {} });
        this.#refused(answer, key).then(reject);
      };
      request.onerror = () => reject(new ChatroomsError(0, null, { message: this.#describe({ status: 0, error: null, retryAfter: null }) }));
      request.send(data);
    });
  }

  /** @param {{ stop(): void, closeFor(code: number, text: string): void }} connection */
  track(connection) {
    this.#running.add(connection);
    return () => { this.#running.delete(connection); };
  }

  /** Stops every live socket and the inbox this client opened. */
  stop() {
    this.#closeAll((connection) => connection.stop());
  }

  /**
   * Ends every running connection one way, and forgets them and the inbox.
   * @param {(connection: { stop(): void, closeFor(code: number, text: string): void }) => void} end
   */
  #closeAll(end) {
    for (const connection of [...this.#running]) end(connection);
    this.#running.clear();
    this.#inbox = null;
  }

  // --- Accounts and sessions ------------------------------------------------------------------

  /**
   * Creates an account and logs it in: the client acts for it from now on.
   * @param {Body<'signUp'>} account
   * @returns {Promise<Answer<'signUp', 202>>}
   */
  async signUp(account) {
    /** @type {Answer<'signUp', 202>} */
    const created = await this.call('POST', '/user', { body: account });
    this.session = { user_id: created.user_id, key: created.key };
    return created;
  }

  /**
   * Logs in by handle or by user id: the client acts for that account from now on.
   * @param {{ handle: string } | { user_id: UserId }} login
   * @param {string} password
   * @returns {Promise<Answer<'logInWithBody', 200>>}
   */
  async logIn(login, password) {
    /** @type {Answer<'logInWithBody', 200>} */
    const answer = await this.call('POST', '/token', { body: /** @satisfies {Body<'logInWithBody'>} */ ({ ...login, password }) });
    this.session = { user_id: answer.user_id, key: answer.key };
    return answer;
  }

  /**
   * Ends this session (its key stops working everywhere at once).
   * @returns {Promise<null>}
   */
  async logOut() {
    const user_id = this.me;
    return this.#ending_(() => this.call('DELETE', '/token', { auth: true, body: /** @satisfies {Body<'logOut'>} */ ({ user_id }) }));
  }

  /**
   * Ends every other session of the account; this one goes on.
   * @returns {Promise<Answer<'endOtherSessions', 204>>}
   */
  async endOtherSessions() {
    return this.call('DELETE', `/user/${enc(this.me)}/sessions`, { auth: true });
  }

  /**
   * Deletes the account, and so ends the session.
   * @param {string} password
   * @returns {Promise<Answer<'deleteUser', 204>>}
   */
  async deleteAccount(password) {
    const me = this.me;
    return this.#ending_(() => this.call('DELETE', `/user/${enc(me)}`, { auth: true, body: /** @satisfies {Body<'deleteUser'>} */ ({ password }) }));
  }

  /**
   * @param {Body<'changeHandle'>['handle']} handle
   * @returns {Promise<Answer<'changeHandle', 200>>}
   */
  async changeHandle(handle) {
    return this.call('PUT', `/user/${enc(this.me)}/handle`, { auth: true, body: /** @satisfies {Body<'changeHandle'>} */ ({ handle }) });
  }

  /**
   * Changes the password; every other session ends, this one goes on.
   * @param {string} password
   * @param {string} newPassword
   * @returns {Promise<Answer<'changePassword', 204>>}
   */
  async changePassword(password, newPassword) {
    return this.call('PUT', `/user/${enc(this.me)}/password`, {
      auth: true, body: /** @satisfies {Body<'changePassword'>} */ ({ password, new_password: newPassword }),
    });
  }

  // --- People ---------------------------------------------------------------------------------

  /**
   * @param {UserId} userId
   * @returns {Promise<Answer<'getUser', 200>>}
   */
  async user(userId) {
    return this.call('GET', `/user/${enc(userId)}`);
  }

  /**
   * @param {string} handle with or without its @
   * @returns {Promise<Answer<'getUserByHandle', 200>>}
   */
  async userByHandle(handle) {
    return this.call('GET', `/handle/${enc(handle.replace(/^@/, ''))}`);
  }

  /**
   * People whose handle or name starts with `q`.
   * @param {Query<'findPeople'>} query
   * @returns {Promise<Answer<'findPeople', 200>>}
   */
  async findPeople(query) {
    return this.call('GET', '/users', { auth: true, query });
  }

  /**
   * @param {Page} [page]
   * @returns {Promise<Answer<'listBlocks', 200>>}
   */
  async blocks(page = {}) {
    return this.call('GET', `/user/${enc(this.me)}/blocks`, { auth: true, query: page });
  }

  /**
   * Blocks someone: their messages are marked for this person, their DMs refused.
   * @param {UserId} userId
   * @returns {Promise<Answer<'blockUser', 200>>}
   */
  async block(userId) {
    return this.call('PUT', `/user/${enc(this.me)}/blocks/${enc(userId)}`, { auth: true });
  }

  /**
   * @param {UserId} userId
   * @returns {Promise<Answer<'unblockUser', 200>>}
   */
  async unblock(userId) {
    return this.call('DELETE', `/user/${enc(this.me)}/blocks/${enc(userId)}`, { auth: true });
  }

  /**
   * Opens (or finds) the direct-message room with someone.
   * @param {UserId} userId
   * @returns {Promise<Answer<'openDm', 200>>}
   */
  async openDm(userId) {
    return this.call('PUT', `/dm/${enc(userId)}`, { auth: true });
  }

  // --- One's own lists ------------------------------------------------------------------------

  /**
   * One's rooms, with unread and mention counts.
   * @param {Query<'getRoomsOfUser'>} [query]
   * @returns {Promise<Answer<'getRoomsOfUser', 200>>}
   */
  async myRooms(query = {}) {
    return this.call('GET', `/user/${enc(this.me)}/rooms`, { auth: true, query });
  }

  /**
   * Rooms one is invited to.
   * @param {Page} [page]
   * @returns {Promise<Answer<'listInvites', 200>>}
   */
  async invites(page = {}) {
    return this.call('GET', `/user/${enc(this.me)}/invites`, { auth: true, query: page });
  }

  /**
   * Direct-message requests awaiting one's answer.
   * @param {Page} [page]
   * @returns {Promise<Answer<'listDmRequests', 200>>}
   */
  async dmRequests(page = {}) {
    return this.call('GET', `/user/${enc(this.me)}/requests`, { auth: true, query: page });
  }

  /**
   * The messages that mention one, newest first (`before`: the previous page's `next`).
   * @param {Query<'listMentions'>} [query]
   * @returns {Promise<Answer<'listMentions', 200>>}
   */
  async mentions(query = {}) {
    return this.call('GET', `/user/${enc(this.me)}/mentions`, { auth: true, query });
  }

  // --- Rooms ----------------------------------------------------------------------------------

  /**
   * The directory of open rooms (`q`: names containing it).
   * @param {Query<'listOpenRooms'>} [query]
   * @returns {Promise<Answer<'listOpenRooms', 200>>}
   */
  async directory(query = {}) {
    return this.call('GET', '/rooms', { query });
  }

  /**
   * @param {Body<'createRoom'>} room
   * @returns {Promise<Answer<'createRoom', 200>>}
   */
  async createRoom(room) {
    return this.call('POST', '/room', { auth: true, body: room });
  }

  /**
   * What an upload may be (size, the day's bytes, files a message).
   * @returns {Promise<Answer<'getLimits', 200>>}
   */
  async limits() {
    return this.call('GET', '/limits');
  }

  /**
   * One room's calls, and its live socket.
   * @param {string} roomId
   */
  room(roomId) {
    return new RoomClient(this, roomId);
  }

  /**
   * A ticket for one's inbox socket (`inbox()` takes its own).
   * @returns {Promise<Answer<'createInboxTicket', 200>>}
   */
  async inboxTicket() {
    return this.call('POST', `/user/${enc(this.me)}/live`, { auth: true });
  }

  /**
   * One's inbox: what happens in all of one's rooms, over one socket. One a client (and key):
   * asked again, the same one, until it is stopped.
   */
  inbox() {
    const key = this.session?.key;
    if (this.#inbox && !this.#inbox.stopped && this.#inbox.key === key) return this.#inbox;
    this.#inbox?.stop();
    this.#inbox = new Inbox(this);
    return this.#inbox;
  }
}

/** One room: its calls take its id. */
export class RoomClient {
  /**
   * @param {Client} client
   * @param {string} id
   */
  constructor(client, id) {
    this.client = client;
    this.id = id;
  }

  /** @param {string} [rest] */
  path(rest = '') {
    return `/room/${enc(this.id)}${rest}`;
  }

  /** @returns {Promise<Answer<'getRoom', 200>>} */
  async get() {
    return this.client.call('GET', this.path(), { auth: Boolean(this.client.session) });
  }

  /**
   * Renames, opens or closes the room (admins).
   * @param {Body<'updateRoom'>} changes
   * @returns {Promise<Answer<'updateRoom', 200>>}
   */
  async update(changes) {
    return this.client.call('PATCH', this.path(), { auth: true, body: changes });
  }

  /** @returns {Promise<Answer<'deleteRoom', 204>>} the owner deletes it, with its history */
  async delete() {
    return this.client.call('DELETE', this.path(), { auth: true });
  }

  /** @returns {Promise<Answer<'getOwner', 200>>} */
  async owner() {
    return this.client.call('GET', this.path('/owner'), { auth: Boolean(this.client.session) });
  }

  /**
   * @param {UserId} userId the new owner, a present member
   * @returns {Promise<Answer<'transferOwnership', 200>>}
   */
  async transferOwnership(userId) {
    return this.client.call('PUT', this.path('/owner'), { auth: true, body: /** @satisfies {Body<'transferOwnership'>} */ ({ user_id: userId }) });
  }

  /**
   * @param {Page} [page]
   * @returns {Promise<Answer<'listMembers', 200>>}
   */
  async members(page = {}) {
    return this.client.call('GET', this.path('/members'), { auth: Boolean(this.client.session), query: page });
  }

  /**
   * @param {UserId} userId
   * @returns {Promise<Answer<'getMember', 200>>}
   */
  async member(userId) {
    return this.client.call('GET', this.path(`/members/${enc(userId)}`), { auth: Boolean(this.client.session) });
  }

  /** @returns {Promise<Answer<'addMember', 200>>} joins an open room, or accepts an invitation */
  async join() {
    return this.client.call('POST', this.path('/members'), { auth: true });
  }

  /**
   * Invites someone, as `invite` does: nobody enters a room without their own consent.
   * @param {UserId} userId
   * @returns {Promise<Answer<'addMember', 200>>}
   */
  async addMember(userId) {
    return this.client.call('POST', this.path('/members'), { auth: true, body: /** @satisfies {Body<'addMember'>} */ ({ user_id: userId }) });
  }

  /**
   * Removes someone (admins), or oneself.
   * @param {UserId} userId
   * @returns {Promise<Answer<'removeMember', 200>>}
   */
  async removeMember(userId) {
    return this.client.call('DELETE', this.path(`/members/${enc(userId)}`), { auth: true });
  }

  /** @returns {Promise<Answer<'removeMember', 200>>} */
  async leave() {
    return this.removeMember(this.client.me);
  }

  /**
   * @param {Page} [page]
   * @returns {Promise<Answer<'listAdmins', 200>>}
   */
  async admins(page = {}) {
    return this.client.call('GET', this.path('/admins'), { auth: Boolean(this.client.session), query: page });
  }

  /**
   * @param {UserId} userId
   * @returns {Promise<Answer<'promoteAdmin', 200>>}
   */
  async promote(userId) {
    return this.client.call('POST', this.path('/admins'), { auth: true, body: /** @satisfies {Body<'promoteAdmin'>} */ ({ user_id: userId }) });
  }

  /**
   * @param {UserId} userId
   * @returns {Promise<Answer<'demoteAdmin', 200>>}
   */
  async demote(userId) {
    return this.client.call('DELETE', this.path(`/admins/${enc(userId)}`), { auth: true });
  }

  /**
   * @param {Page} [page]
   * @returns {Promise<Answer<'listBans', 200>>}
   */
  async bans(page = {}) {
    return this.client.call('GET', this.path('/bans'), { auth: true, query: page });
  }

  /**
   * @param {UserId} userId
   * @returns {Promise<Answer<'banUser', 200>>}
   */
  async ban(userId) {
    return this.client.call('PUT', this.path(`/bans/${enc(userId)}`), { auth: true });
  }

  /**
   * @param {UserId} userId
   * @returns {Promise<Answer<'unbanUser', 200>>}
   */
  async unban(userId) {
    return this.client.call('DELETE', this.path(`/bans/${enc(userId)}`), { auth: true });
  }

  /**
   * Invites someone (they accept with `join()`).
   * @param {UserId} userId
   * @returns {Promise<Answer<'inviteUser', 200>>}
   */
  async invite(userId) {
    return this.client.call('POST', this.path('/invites'), { auth: true, body: /** @satisfies {Body<'inviteUser'>} */ ({ user_id: userId }) });
  }

  /**
   * Withdraws an invitation (admins), or declines one's own (`declineInvite()`).
   * @param {UserId} userId
   * @returns {Promise<Answer<'withdrawInvite', 204>>}
   */
  async withdrawInvite(userId) {
    return this.client.call('DELETE', this.path(`/invites/${enc(userId)}`), { auth: true });
  }

  /** @returns {Promise<Answer<'withdrawInvite', 204>>} */
  async declineInvite() {
    return this.withdrawInvite(this.client.me);
  }

  /**
   * Moves one's read position to `seq` (and so the unread and mention counts).
   * @param {number} seq
   * @returns {Promise<Answer<'markRead', 200>>}
   */
  async markRead(seq) {
    return this.client.call('PUT', this.path('/read'), { auth: true, body: /** @satisfies {Body<'markRead'>} */ ({ seq }) });
  }

  /**
   * A page of the room's messages, newest first: `before` a message's id pages back (the
   * previous page's `next`), `after` one fetches what is newer; `thread` pages that root's replies instead.
   * @param {{ before?: string | null, after?: string | null, limit?: number, thread?: string | null }} [page]
   * @returns {Promise<Answer<'listMessages', 200>>}
   */
  async messages(page = {}) {
    return this.client.call('GET', this.path('/messages'), { auth: Boolean(this.client.session), query: page });
  }

  /**
   * Posts a message by HTTP (a live room's `send` goes over its socket, retried safely).
   * @param {string} text
   * @param {Omit<Body<'postMessage'>, 'text'>} [options] mentions, reply_to, thread, files
   * @returns {Promise<Answer<'postMessage', 201>>}
   */
  async post(text, options = {}) {
    return this.client.call('POST', this.path('/messages'), { auth: true, body: /** @satisfies {Body<'postMessage'>} */ ({ ...options, text }) });
  }

  /**
   * @param {string} messageId
   * @param {string} text
   * @returns {Promise<Answer<'editMessage', 200>>}
   */
  async edit(messageId, text) {
    return this.client.call('PATCH', this.path(`/messages/${enc(messageId)}`), { auth: true, body: /** @satisfies {Body<'editMessage'>} */ ({ text }) });
  }

  /**
   * @param {string} messageId
   * @returns {Promise<Answer<'deleteMessage', 204>>}
   */
  async deleteMessage(messageId) {
    return this.client.call('DELETE', this.path(`/messages/${enc(messageId)}`), { auth: true });
  }

  /**
   * Who reacted to a message with `key`.
   * @param {string} messageId
   * @param {string} key
   * @param {Page} [page]
   * @returns {Promise<Answer<'listReactors', 200>>}
   */
  async reactors(messageId, key, page = {}) {
    return this.client.call('GET', this.path(`/messages/${enc(messageId)}/reactions/${enc(key)}`), { auth: Boolean(this.client.session), query: page });
  }

  /**
   * Reacts to a message with `key` (an emoji, or a short name): the message's reactions then.
   * @param {string} messageId
   * @param {string} key
   * @returns {Promise<Answer<'addReaction', 200>>}
   */
  async react(messageId, key) {
    return this.client.call('PUT', this.path(`/messages/${enc(messageId)}/reactions/${enc(key)}`), { auth: true });
  }

  /**
   * @param {string} messageId
   * @param {string} key
   * @returns {Promise<Answer<'removeReaction', 200>>}
   */
  async unreact(messageId, key) {
    return this.client.call('DELETE', this.path(`/messages/${enc(messageId)}/reactions/${enc(key)}`), { auth: true });
  }

  /**
   * The room's messages whose text holds `q`, newest first (`before`: the previous page's `next`).
   * @param {string} q
   * @param {Omit<Query<'searchMessages'>, 'q'>} [page]
   * @returns {Promise<Answer<'searchMessages', 200>>}
   */
  async search(q, page = {}) {
    return this.client.call('GET', this.path('/search'), { auth: Boolean(this.client.session), query: { ...page, q } });
  }

  /**
   * Uploads a file (its bytes, of a known size: a Blob, a File, an ArrayBuffer, bytes or text)
   * for a message to carry (`post(text, { files: [file_id] })`). In a browser, `onProgress`
   * hears its bytes go (by XMLHttpRequest, when the client uses the page's own `fetch`).
   * @param {Blob | ArrayBuffer | Uint8Array<ArrayBuffer> | string} data
   * @param {{ name: string, type?: string, onProgress?: (sent: number, total: number) => void }} file
   * @returns {Promise<Answer<'uploadFile', 201>>}
   */
  async upload(data, { name, type, onProgress }) {
    const url = this.client.url(this.path('/files'), { name });
    const contentType = type || (typeof Blob !== 'undefined' && data instanceof Blob && data.type) || 'application/octet-stream';
    return this.client.upload(url, data, contentType, onProgress);
  }

  /**
   * A file's bytes: the answer as it came (stream its `body`, or `blob()` it). `range` asks for
   * part of it (206); `etag` one's copy's, for a 304 when it is unchanged.
   * @param {string} fileId
   * @param {{ range?: string, etag?: string }} [options]
   * @returns {Promise<Response>}
   */
  async file(fileId, { range, etag } = {}) {
    /** @type {Record<string, string>} */
    const headers = {};
    if (range) headers.Range = range;
    if (etag) headers['If-None-Match'] = etag;
    return this.client.request('GET', this.client.url(this.path(`/files/${enc(fileId)}`)), { auth: Boolean(this.client.session), headers });
  }

  /**
   * A ticket for the room's socket (`live()` takes its own).
   * @returns {Promise<Answer<'createLiveTicket', 200>>}
   */
  async liveTicket() {
    return this.client.call('POST', this.path('/live'), { auth: true });
  }

  /**
   * The room, live: its events as they happen, resumed after every reconnect with nothing
   * missed or doubled, and sends that are retried until the room answers.
   * @param {import('./live.js').LiveOptions} [options]
   */
  live(options) {
    return new RoomLive(this, options);
  }
}
