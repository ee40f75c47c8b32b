// The baseline the benchmark compares the Rust worker with: per endpoint, the same D1 batch
// through a D1 session as the service's (and, for a join, the same KV read), the same bookmark
// header and the same one JSON log line, with nothing else. sql.js is written by the benchmark
// from src/store/sql.rs before it starts this worker, so the statements are the service's own.
// What it cannot find it answers as the service does, a JSON 404: the launchers probe
// readiness with `GET /user/<an unknown id>`, and a thrown TypeError would be workerd's
// plain-text 500 instead.
//
// A live room is a plain-JS Durable Object (`Room`, below) doing the fan-out that the service's
// room object does, with the work per message that one must do and nothing else: parse and
// validate the frame, one SQLite insert that numbers the message, one JSON encoding, a send to
// every socket. The Worker in front checks the room (the same D1 statement) and the caller's
// key (one KV read) before it hands a socket, a post or a read of the history to the room's
// object, which keeps the room's messages (D1 no longer does).
import { DurableObject } from 'cloudflare:workers';
import { ADD_MEMBER, MEMBERS_PAGE, ROOM, USER } from './sql.js';

const json = (body, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

const hex = (buffer) => [...new Uint8Array(buffer)].map((byte) => byte.toString(16).padStart(2, '0')).join('');
const bytes = (text) => Uint8Array.from(text.match(/../g) ?? [], (pair) => parseInt(pair, 16));

const noRoute = () => json({ error: 'no such route' }, 404);
const noRoom = () => json({ error: 'room not found' }, 404);

async function user(env, userId) {
  const row = await env.DB.prepare(USER).bind(userId).first();
  if (row === null) return json({ error: 'user not found' }, 404);
  return json({ user_id: row.user_id, username: row.username, handle: row.handle });
}

async function room(env, roomId) {
  const row = await env.DB.prepare(ROOM).bind(roomId, null, null).first();
  if (row === null) return noRoom();
  return json({ open: row.open === 1, name: row.name, user_count: row.user_count, owner: row.owner, kind: row.kind });
}

async function members(env, roomId, limit, offset) {
  const [room, page] = await env.DB.batch([
    env.DB.prepare(ROOM).bind(roomId, null, null),
    env.DB.prepare(MEMBERS_PAGE).bind(roomId, null, null, limit, offset),
  ]);
  if (room.results.length === 0) return noRoom();
  const users = page.results.map((row) => row.user_id);
  return json({ users, index: offset, user_count: room.results[0].user_count });
}

// The user id of the request's bearer key: null without one, undefined for a dead one.
async function caller(request, env) {
  const header = request.headers.get('Authorization');
  if (header === null) return null;
  const key = header.replace(/^Bearer /, '');
  const userId = await env.SESSIONS.get(hex(await crypto.subtle.digest('SHA-256', bytes(key))));
  return userId ?? undefined;
}

// A file, as the service keeps one: the caller's key (one KV read) and the room (the same D1
// statement) checked, the body streamed into R2 as it comes, under the room's id and a new id;
// served back, after the same checks, as R2 streams it.
async function upload(request, env, roomId, name) {
  const userId = await caller(request, env);
  if (!userId) return json({ error: 'invalid or expired key' }, 401);
  if ((await env.DB.prepare(ROOM).bind(roomId, null, null).first()) === null) return noRoom();
  const fileId = crypto.randomUUID();
  const type = request.headers.get('Content-Type') ?? 'application/octet-stream';
  const object = await env.FILES.put(`${roomId}/${fileId}`, request.body, {
    httpMetadata: { contentType: type },
    customMetadata: { name },
  });
  return json({ file_id: fileId, name, type, size: object.size }, 201);
}

async function download(request, env, roomId, fileId) {
  if ((await caller(request, env)) === undefined) return json({ error: 'invalid or expired key' }, 401);
  if ((await env.DB.prepare(ROOM).bind(roomId, null, null).first()) === null) return noRoom();
  const object = await env.FILES.get(`${roomId}/${fileId}`);
  if (object === null) return json({ error: 'no such file in this room' }, 404);
  return new Response(object.body, {
    headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(object.size), ETag: object.httpEtag },
  });
}

async function join(request, env, roomId) {
  const userId = await caller(request, env);
  if (!userId) return json({ error: 'invalid or expired key' }, 401);
  const [room] = await env.DB.batch([
    env.DB.prepare(ROOM).bind(roomId, userId, userId),
    env.DB.prepare(ADD_MEMBER).bind(roomId, userId, userId, Date.now()),
  ]);
  if (room.results.length === 0) return noRoom();
  return json({ present: true });
}

// A socket (`GET /room/{id}/live`, upgrade), a post (`POST /room/{id}/messages {text}`) or a
// page of history (`GET /room/{id}/messages?limit`) for the room's object, once the room is
// known and the caller's key (if any) is live. The object trusts the caller and the room it is
// told about: only this Worker can reach it.
async function toRoom(request, env, roomId, post, socket) {
  if (socket && request.headers.get('Upgrade') !== 'websocket') {
    return json({ error: 'this route is a WebSocket: send Upgrade: websocket' }, 426);
  }
  const userId = await caller(request, env);
  if (userId === undefined) return json({ error: 'invalid or expired key' }, 401);
  if (post && userId === null) return json({ error: 'a key is required' }, 401);
  const row = await env.DB.prepare(ROOM).bind(roomId, userId, userId).first();
  const present = row?.caller_present === 1;
  if (row === null || (row.open !== 1 && !present)) return noRoom();
  if (post && !present) return json({ error: 'only members may post' }, 403);
  const room = { open: row.open === 1, name: row.name, user_count: row.user_count, owner: row.owner, kind: row.kind };
  const you =
    userId === null ? null : { user_id: userId, present, admin: row.caller_admin === 1, owner: row.owner === userId };
  const headers = new Headers(request.headers);
  headers.set('X-Room', JSON.stringify(room));
  headers.set('X-You', JSON.stringify(you));
  const stub = env.ROOMS.get(env.ROOMS.idFromName(roomId));
  return stub.fetch(new Request(request, { headers }));
}

const MAX_TEXT = 4000;

export class Room extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(`CREATE TABLE IF NOT EXISTS messages (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      message_id TEXT NOT NULL, user_id TEXT NOT NULL, text TEXT NOT NULL, sent_at INTEGER NOT NULL,
      txn_id TEXT)`);
  }

  latest() {
    return this.sql.exec('SELECT coalesce(max(seq), 0) AS seq FROM messages').one().seq;
  }

  async fetch(request) {
    const you = JSON.parse(request.headers.get('X-You'));
    if (request.method === 'GET' && request.headers.get('Upgrade') !== 'websocket') {
      return json(this.page(Number(new URL(request.url).searchParams.get('limit') ?? 50)));
    }
    if (request.method === 'POST') {
      const body = await request.json().catch(() => null);
      const text = body?.text;
      if (typeof text !== 'string' || text.length === 0 || text.length > MAX_TEXT) {
        return json({ error: 'text must be 1-4000 characters' }, 400);
      }
      return json(this.post(you.user_id, text, null), 201);
    }
    const { 0: client, 1: server } = new WebSocketPair();
    this.ctx.acceptWebSocket(server);
    server.serializeAttachment({ user_id: you?.present ? you.user_id : null });
    const seq = this.latest();
    const room = JSON.parse(request.headers.get('X-Room'));
    server.send(JSON.stringify({ type: 'hello', seq, room, you }));
    server.send(JSON.stringify({ type: 'ready', seq }));
    return new Response(null, { status: 101, webSocket: client });
  }

  // The newest `limit` messages, and the cursor to the ones before them.
  page(limit) {
    const rows = this.sql
      .exec('SELECT message_id, seq, user_id, text, sent_at FROM messages ORDER BY seq DESC LIMIT ?', limit + 1)
      .toArray();
    const messages = rows.slice(0, limit)
      .map((row) => ({ ...row, sent_at: new Date(row.sent_at).toISOString(), mentions: [], mention_room: false }));
    const next = rows.length > limit ? messages[messages.length - 1].message_id : null;
    return { messages, next };
  }

  // Stores the message with the room's next seq and sends it to every socket, encoded once.
  post(userId, text, txnId) {
    const messageId = crypto.randomUUID();
    const sentAt = Date.now();
    const { seq } = this.sql
      .exec(
        'INSERT INTO messages (message_id, user_id, text, sent_at, txn_id) VALUES (?, ?, ?, ?, ?) RETURNING seq',
        messageId,
        userId,
        text,
        sentAt,
        txnId,
      )
      .one();
    const message = {
      message_id: messageId, seq, user_id: userId, text, sent_at: new Date(sentAt).toISOString(), mentions: [], mention_room: false,
    };
    const frame = JSON.stringify({ type: 'message', seq, message });
    for (const socket of this.ctx.getWebSockets()) {
      try {
        socket.send(frame);
      } catch {
        // A socket closing as we send: its close handler tidies up.
      }
    }
    return message;
  }

  async webSocketMessage(ws, data) {
    if (typeof data !== 'string') return ws.close(1003, 'text frames only');
    let frame;
    try {
      frame = JSON.parse(data);
    } catch {
      return ws.send(JSON.stringify({ type: 'error', error: 'not JSON' }));
    }
    const { type, text, txn_id: txnId } = frame ?? {};
    const error = (message) => ws.send(JSON.stringify({ type: 'error', error: message, txn_id: txnId }));
    if (type !== 'send') return error('unknown type');
    if (typeof txnId !== 'string' || txnId.length === 0 || txnId.length > 64) return error('txn_id must be 1-64 characters');
    if (typeof text !== 'string' || text.length === 0 || text.length > MAX_TEXT) return error('text must be 1-4000 characters');
    const { user_id: userId } = ws.deserializeAttachment();
    if (userId === null) return error('only members may post');
    const message = this.post(userId, text, txnId);
    ws.send(JSON.stringify({ type: 'sent', txn_id: txnId, message }));
  }

  async webSocketClose(ws, code, reason) {
    try {
      ws.close(code, reason);
    } catch {
      // Already closed: nothing to answer.
    }
  }

  async webSocketError() {}
}

// Which route a request is for, and its answer: [the route's pattern, the answer, D1 round trips,
// KV reads, calls of a room's object], for the log line.
async function serve(request, env, url) {
  const [, resource, id, part, ...rest] = url.pathname.split('/');
  const limit = Number(url.searchParams.get('limit') ?? 50);
  const offset = Number(url.searchParams.get('offset') ?? 0);
  if (resource === 'room' && part === 'files') {
    if (request.method === 'POST' && rest.length === 0) {
      return ['/room/:room_id/files', await upload(request, env, id, url.searchParams.get('name') ?? 'file'), 1, 1, 0];
    }
    if (request.method === 'GET' && rest.length === 1) {
      return ['/room/:room_id/files/:file_id', await download(request, env, id, rest[0]), 1, 1, 0];
    }
  }
  if (!id || rest.length > 0) return [null, noRoute(), 0, 0, 0];

  if (resource === 'user' && request.method === 'GET' && part === undefined) return ['/user/:user_id', await user(env, id), 1, 0, 0];
  if (resource !== 'room') return [null, noRoute(), 0, 0, 0];
  if (request.method === 'GET' && part === undefined) return ['/room/:room_id', await room(env, id), 1, 0, 0];
  if (request.method === 'GET' && part === 'members') {
    return ['/room/:room_id/members', await members(env, id, limit, offset), 1, 0, 0];
  }
  if (request.method === 'GET' && part === 'messages') {
    return ['/room/:room_id/messages', await toRoom(request, env, id, false, false), 1, 1, 1];
  }
  if (request.method === 'POST' && part === 'members') return ['/room/:room_id/members', await join(request, env, id), 1, 1, 0];
  if (request.method === 'GET' && part === 'live') return ['/room/:room_id/live', await toRoom(request, env, id, false, true), 1, 1, 1];
  if (request.method === 'POST' && part === 'messages') {
    return ['/room/:room_id/messages', await toRoom(request, env, id, true, false), 1, 1, 1];
  }
  return [null, noRoute(), 0, 0, 0];
}

export default {
  // Every request writes the service's one JSON log line (src/log.rs), and goes to D1 through a
  // session of its Sessions API with the client's bookmark, answering the session's bookmark,
  // as the service does: issue 24 compares the two doing the same work.
  async fetch(request, env) {
    const started = Date.now();
    const bookmark = request.headers.get('X-D1-Bookmark');
    const replica = request.method === 'GET' && !request.headers.has('Authorization');
    const session = env.DB.withSession(replica ? (bookmark ?? 'first-unconstrained') : 'first-primary');
    let [route, answer, d1, kvReads, objectCalls] = await serve(request, { ...env, DB: session }, new URL(request.url));
    const latest = session.getBookmark();
    if (latest && answer.status !== 101) {
      answer = new Response(answer.body, answer);
      answer.headers.set('X-D1-Bookmark', latest);
    }
    console.log(JSON.stringify({
      method: request.method, route, status: answer.status, ms: Date.now() - started,
      d1, kv_reads: kvReads, kv_writes: 0, object_calls: objectCalls, rows_written: 0, pbkdf2_iterations: 0,
    }));
    return answer;
  },
};
