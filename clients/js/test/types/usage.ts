// How a TypeScript front-end uses the package: every line here must type-check, and every line
// after a `@ts-expect-error` must not (a misspelt field, a wrong type, a frame that has no such
// field). Compiled by scripts/build.mjs; never run.
import { ChatroomsError, closeReason, createClient, type RoomLive } from 'chatrooms-client';

export async function usage(bindingFetch: typeof fetch): Promise<void> {
  const client = createClient({ baseUrl: 'https://chat.example', fetch: bindingFetch });

  const created = await client.signUp({ username: 'ana', password: 'correct horse', handle: 'ana' });
  const userId: string = created.user_id;
  const handle: string | null = created.handle;
  // @ts-expect-error sign-up answers user_id, not id
  created.id;
  // @ts-expect-error the password is a string
  await client.signUp({ username: 'ana', password: 12345678 });

  const login = await client.logIn({ handle: 'ana' }, 'correct horse');
  const key: string = login.key;
  // @ts-expect-error logging in names a handle or a user_id
  await client.logIn({ name: 'ana' }, 'correct horse');

  const room = await client.createRoom({ name: 'lobby', open: true });
  const lobby = client.room(room.room_id);
  const posted = await lobby.post('hello', { mentions: [userId] });
  const seq: number = posted.seq;
  const text: string = posted.text;
  // @ts-expect-error a message's text is `text`
  posted.body;
  // @ts-expect-error post takes mentions, reply_to, thread, files
  await lobby.post('hello', { mention: [userId] });

  const page = await lobby.messages({ limit: 50 });
  for (const message of page.messages) {
    if ('deleted' in message) continue;
    const author: string = message.user_id;
  }
  const mine = await client.myRooms({ sort: 'activity' });
  const unread: number = mine.rooms[0].unread;
  // @ts-expect-error the rooms list counts `unread`, not `unread_count`
  mine.rooms[0].unread_count;
  // @ts-expect-error sort is activity or joined
  await client.myRooms({ sort: 'newest' });

  const live: RoomLive = lobby.live({ after: seq });
  live.on('message', (frame) => {
    const at: number = frame.seq;
    const item = frame.message;
  });
  live.on('member_left', (frame) => {
    const why: 'left' | 'removed' | 'banned' = frame.reason;
  });
  live.on('connected', ({ resumed }) => {
    if (!resumed) void lobby.messages();
  });
  live.on('closed', ({ reason }) => {
    const named: 'key_ended' | 'access_lost' | 'room_deleted' | 'too_many_frames' | 'frame_too_big' | 'binary_frame' | 'normal' | 'connection_lost' = reason;
  });
  // @ts-expect-error a message event has no `text`: its message has
  live.on('message', (frame) => frame.text);
  // @ts-expect-error no such event
  live.on('messages', () => {});
  const sent = await live.send('hi', { reply_to: posted.message_id });
  const sentId: string = sent.message_id;
  // @ts-expect-error a send's reply is `reply_to`
  await live.send('hi', { replyTo: posted.message_id });
  live.stop();

  const inbox = client.inbox();
  inbox.on('room_activity', (frame) => {
    const counts: number = frame.unread + frame.mentions;
  });
  inbox.on('hello', (frame) => {
    const first: string = frame.rooms[0].room_id;
  });
  // @ts-expect-error room_activity says `mentions`
  inbox.on('room_activity', (frame) => frame.mention_count);
  inbox.stop();

  const upload = await lobby.upload(new Uint8Array([1, 2, 3]), { name: 'three.bin' });
  await lobby.post('a file', { files: [upload.file_id] });
  const response: Response = await lobby.file(upload.file_id, { range: 'bytes=0-1' });

  try {
    await lobby.join();
  } catch (error) {
    if (error instanceof ChatroomsError) {
      const status: number = error.status;
      const said: string | null = error.error;
      const wait: number | null = error.retryAfter;
    }
  }
  const reason: 'key_ended' | string = closeReason(4001);
  client.stop();
  void [handle, key, text, unread, sentId, response, reason];
}
