// The baseline the benchmark compares the Rust worker with: per endpoint, the same D1 batch
// (and, for a join, the same KV read) with nothing else. sql.js is written by the benchmark
// from src/store/sql.rs before it starts this worker, so the statements are the service's own.
import { ADD_MEMBER, LATEST_MESSAGES, MEMBERS_PAGE, MESSAGE_CURSOR, ROOM } from './sql.js';

const json = (body, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

const hex = (buffer) => [...new Uint8Array(buffer)].map((byte) => byte.toString(16).padStart(2, '0')).join('');
const bytes = (text) => Uint8Array.from(text.match(/../g) ?? [], (pair) => parseInt(pair, 16));

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const [, , roomId, part] = url.pathname.split('/');
    const limit = Number(url.searchParams.get('limit') ?? 50);
    const offset = Number(url.searchParams.get('offset') ?? 0);

    if (request.method === 'GET' && part === undefined) {
      const room = await env.DB.prepare(ROOM).bind(roomId, null, null).first();
      return json({ open: room.open === 1, name: room.name, user_count: room.user_count, owner: room.owner });
    }
    if (request.method === 'GET' && part === 'members') {
      const [room, page] = await env.DB.batch([
        env.DB.prepare(ROOM).bind(roomId, null, null),
        env.DB.prepare(MEMBERS_PAGE).bind(roomId, null, null, limit, offset),
      ]);
      const users = page.results.map((row) => row.user_id);
      return json({ users, index: offset, user_count: room.results[0].user_count });
    }
    if (request.method === 'GET' && part === 'messages') {
      const [, , page] = await env.DB.batch([
        env.DB.prepare(ROOM).bind(roomId, null, null),
        env.DB.prepare(MESSAGE_CURSOR).bind(roomId, null, null, null),
        env.DB.prepare(LATEST_MESSAGES).bind(roomId, null, null, null, limit + 1),
      ]);
      const rows = page.results.slice(0, limit);
      const messages = rows.map((row) => ({ ...row, sent_at: new Date(row.sent_at).toISOString() }));
      const next = page.results.length > limit ? rows[rows.length - 1].message_id : null;
      return json({ messages, next });
    }
    if (request.method === 'POST' && part === 'members') {
      const key = (request.headers.get('Authorization') ?? '').replace(/^Bearer /, '');
      const userId = await env.SESSIONS.get(hex(await crypto.subtle.digest('SHA-256', bytes(key))));
      if (userId === null) return json({ error: 'invalid or expired key' }, 401);
      await env.DB.batch([
        env.DB.prepare(ROOM).bind(roomId, userId, userId),
        env.DB.prepare(ADD_MEMBER).bind(roomId, userId, userId, Date.now()),
      ]);
      return json({ present: true });
    }
    return json({ error: 'no such route' }, 404);
  },
};
