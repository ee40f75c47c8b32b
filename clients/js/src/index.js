// chatrooms-client: the service's calls, its live rooms and one's inbox, for browsers, Workers
// and Node. See README.md.
export { Client, createClient, RoomClient } from './client.js';
export { ChatroomsError, CLOSE, closeReason } from './errors.js';
export { Inbox } from './inbox.js';
export { RoomLive } from './live.js';
export { backoff } from './socket.js';
