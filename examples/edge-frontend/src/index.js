// The front-end Worker of a site on the same edge as chatrooms: it serves the API under the
// site's own origin (`/api/...`) and a public, server-rendered preview of an open room
// (`/r/{room_id}`), reaching the service only through its service binding, env.CHAT. The
// preview calls the service with the client package (clients/js), given the binding's fetch;
// a site that installed the package imports it as 'chatrooms-client'.

import { ChatroomsError, createClient } from "../../../clients/js/src/index.js";

const API_PREFIX = "/api/";
// A service binding ignores the host of the URL it is given; this one only makes URLs whole.
const SERVICE_ORIGIN = "https://chatrooms.internal";
const PREVIEW = /^\/r\/([^/]+)$/;
// The form the service's room ids take (its `RoomId::parse`), checked before the id goes
// into a path, so a preview can only ever ask about one room.
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PREVIEW_MESSAGES = 20;
// Authors whose usernames a preview looks up, at most: each is one more call to the service.
const NAMED_AUTHORS = 8;
// An open room's preview may be cached briefly: a room that is closed stops being shown
// within this many seconds.
const PREVIEW_MAX_AGE = 30;
const PREVIEW_HEADERS = {
  "Content-Type": "text/html; charset=utf-8",
  // No script, style, image or frame of any kind: the page is text only.
  "Content-Security-Policy": "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
};

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    try {
      if (url.pathname.startsWith(API_PREFIX)) {
        return await forward(request, url, env);
      }
      const preview = PREVIEW.exec(url.pathname);
      if (preview) {
        return await roomPreview(request, preview[1], env);
      }
      return jsonError(404, "no such route");
    } catch (error) {
      // The binding itself failed (the service is not deployed, say): still a JSON answer.
      console.error(error);
      return jsonError(502, "the chat service is unavailable");
    }
  },
};

// `/api/<rest>?<query>` is the service's `/<rest>?<query>`: the method, headers (the caller's
// key among them) and body go on unchanged, and the service's answer comes back as it is.
function forward(request, url, env) {
  // Joined as text, not resolved as a URL: `/api//host/x` stays the path `//host/x`.
  const target = SERVICE_ORIGIN + url.pathname.slice(API_PREFIX.length - 1) + url.search;
  return env.CHAT.fetch(new Request(target, request));
}

// `/r/{room_id}`: the room's name, member count and latest messages as HTML. It asks as a
// stranger, whatever the visitor sends, so it shows exactly what the service shows anyone:
// a closed room is the service's 404 even for its members.
async function roomPreview(request, roomId, env) {
  if (request.method !== "GET" && request.method !== "HEAD") {
    return jsonError(405, "method not allowed", { Allow: "GET, HEAD" });
  }
  if (!UUID.test(roomId)) {
    // No room has such an id: the answer for a room that does not exist.
    return jsonError(404, "room not found");
  }
  // It asks as a stranger: a client without a session sends no key.
  const chat = createClient({ baseUrl: SERVICE_ORIGIN, fetch: (input, init) => env.CHAT.fetch(input, init) });
  let room;
  let page;
  try {
    [room, page] = await Promise.all([chat.room(roomId).get(), chat.room(roomId).messages({ limit: PREVIEW_MESSAGES })]);
  } catch (error) {
    if (!(error instanceof ChatroomsError) || error.status === 0) throw error;
    // The service's own error (404 for a closed or unknown room), as it said it.
    return jsonError(error.status, error.error ?? "the chat service is unavailable", retryAfter(error));
  }
  const usernames = await authorNames(chat, page.messages);
  const html = renderPreview({ name: room.name, userCount: room.user_count, messages: [...page.messages].reverse(), usernames });
  const headers = { ...PREVIEW_HEADERS, "Cache-Control": `public, max-age=${PREVIEW_MAX_AGE}` };
  return new Response(request.method === "HEAD" ? null : html, { status: 200, headers });
}

function retryAfter(error) {
  return error.retryAfter ? { "Retry-After": String(error.retryAfter) } : {};
}

// user id → username for the first few distinct authors; the others, and accounts that are
// gone, are shown by id. A deleted message has no author.
async function authorNames(chat, messages) {
  const written = messages.filter((message) => !message.deleted);
  const authors = [...new Set(written.map((message) => message.user_id))].slice(0, NAMED_AUTHORS);
  const names = await Promise.all(
    authors.map((userId) => chat.user(userId).then((user) => [userId, user.username], () => null)),
  );
  return new Map(names.filter(Boolean));
}

function renderPreview({ name, userCount, messages, usernames }) {
  const title = name ? escapeHtml(name) : "An unnamed room";
  const members = `${userCount} ${userCount === 1 ? "member" : "members"}`;
  const items = messages.map((message) => {
    if (message.deleted) {
      return "<li><p><i>This message was deleted.</i></p></li>";
    }
    const author = escapeHtml(usernames.get(message.user_id) ?? message.user_id);
    const sentAt = escapeHtml(message.sent_at);
    return `<li><p><b>${author}</b> <time datetime="${sentAt}">${sentAt}</time></p><p>${escapeHtml(message.text)}</p></li>`;
  });
  const history = items.length ? `<ol>\n${items.join("\n")}\n</ol>` : "<p>No messages yet.</p>";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
</head>
<body>
<main>
<h1>${title}</h1>
<p>${members}</p>
${history}
</main>
</body>
</html>
`;
}

const HTML_ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

// Every user-written string goes through this before it is part of the page.
function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (character) => HTML_ESCAPES[character]);
}

// The shape of the service's errors, for the answers this Worker gives itself.
function jsonError(status, error, headers = {}) {
  return new Response(JSON.stringify({ error }), {
    status,
    headers: { "Content-Type": "application/json", "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store", ...headers },
  });
}
