// The baseline the benchmark compares the Rust worker with: per endpoint, the same D1 batch
// (and, for a join, the same KV read) with nothing else. sql.js is written by the benchmark
// from src/store/sql.rs before it starts this worker, so the statements are the service's own.
// What it cannot find it answers as the service does, a JSON 404: the launchers probe
// readiness with `GET /user/<an unknown id>`, and a thrown TypeError would be workerd's
// plain-text 500 instead.
import { ADD_MEMBER, LATEST_MESSAGES, MEMBERS_PAGE, MESSAGE_CURSOR, ROOM, USERNAME } from './sql.js';

const json = (body, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

const hex = (buffer) => [...new Uint8Array(buffer)].map((byte) => byte.toString(16).padStart(2, '0')).join('');
const bytes = (text) => Uint8Array.from(text.match(/../g) ?? [], (pair) => parseInt(pair, 16));

const noRoute = () => json({ error: 'no such route' }, 404);
const noRoom = () => json({ error: 'room not found' }, 404);

async function user(env, userId) {
  const row = await env.DB.prepare(USERNAME).bind(userId).first();
  if (row === null) return json({ error: 'user not found' }, 404);
  return json({ username: row.username, user_id: userId });
}

async function room(env, roomId) {
  const row = await env.DB.prepare(ROOM).bind(roomId, null, null).first();
  if (row === null) return noRoom();
  return json({ open: row.open === 1, name: row.name, user_count: row.user_count, owner: row.owner });
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

async function messages(env, roomId, limit) {
  const [room, , page] = await env.DB.batch([
    env.DB.prepare(ROOM).bind(roomId, null, null),
    env.DB.prepare(MESSAGE_CURSOR).bind(roomId, null, null, null),
    env.DB.prepare(LATEST_MESSAGES).bind(roomId, null, null, null, limit + 1),
  ]);
  if (room.results.length === 0) return noRoom();
  const rows = page.results.slice(0, limit);
  const list = rows.map((row) => ({ ...row, sent_at: new Date(row.sent_at).toISOString() }));
  const next = page.results.length > limit ? rows[rows.length - 1].message_id : null;
  return json({ messages: list, next });
}

async function join(request, env, roomId) {
  const key = (request.headers.get('Authorization') ?? '').replace(/^Bearer /, '');
  const userId = await env.SESSIONS.get(hex(await crypto.subtle.digest('SHA-256', bytes(key))));
  if (userId === null) return json({ error: 'invalid or expired key' }, 401);
  const [room] = await env.DB.batch([
    env.DB.prepare(ROOM).bind(roomId, userId, userId),
    env.DB.prepare(ADD_MEMBER).bind(roomId, userId, userId, Date.now()),
  ]);
  if (room.results.length === 0) return noRoom();
  return json({ present: true });
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const [, resource, id, part, ...rest] = url.pathname.split('/');
    const limit = Number(url.searchParams.get('limit') ?? 50);
    const offset = Number(url.searchParams.get('offset') ?? 0);
    if (!id || rest.length > 0) return noRoute();

    if (resource === 'user' && request.method === 'GET' && part === undefined) return user(env, id);
    if (resource !== 'room') return noRoute();
    if (request.method === 'GET' && part === undefined) return room(env, id);
    if (request.method === 'GET' && part === 'members') return members(env, id, limit, offset);
    if (request.method === 'GET' && part === 'messages') return messages(env, id, limit);
    if (request.method === 'POST' && part === 'members') return join(request, env, id);
    return noRoute();
  },
};
