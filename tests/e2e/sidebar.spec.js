// The layout people know from chat apps: a sidebar of one's rooms beside the open one, sorted by
// activity, with badges that one inbox socket keeps up to date (no polling); the read position
// moves only over what was on screen; on a phone, the list and the room are two screens.
const { test, expect, logIn, unique, openRoom, history, seriousViolations, watchInbox, listedAcrossAPush } = require('./fixtures.js');

const sidebar = (page) => page.getByRole('navigation', { name: 'Your rooms' });
const row = (page, roomId) => sidebar(page).locator(`li.side-room[data-room="${roomId}"]`);

/** Ana and Bo, both in two open rooms Ana made. */
async function twoRooms(api) {
  const ana = await api.signUp('ana');
  const bo = await api.signUp('bo');
  const hereName = unique('here');
  const thereName = unique('there');
  const here = await api.createRoom(ana, hereName);
  const there = await api.createRoom(ana, thereName);
  await api.join(bo, here);
  await api.join(bo, there);
  return { ana, bo, here, there, thereName };
}

/** Where `user` stands in `roomId`, as their rooms list says. */
async function standing(api, user, roomId) {
  const { rooms } = await api.call('GET', `/user/${user.id}/rooms`, { key: user.key, query: { limit: 100 } });
  return rooms.find((room) => room.room_id === roomId);
}

test('a message in a room one is not looking at shows in the sidebar without polling; opening the room clears it', async ({ person, api }) => {
  const { ana, bo, here, there, thereName } = await twoRooms(api);
  const page = await person();
  const inbox = watchInbox(page, ana.id);
  const { sockets, listed } = inbox;
  await logIn(page, ana);
  await openRoom(page, here);
  await expect(row(page, here).getByRole('link')).toHaveAttribute('aria-current', 'page');
  await expect(row(page, there).locator('.badge')).toHaveCount(0);
  await inbox.settled();
  const before = listed();

  await api.post(bo, there, 'over here!');
  await expect(row(page, there).locator('.badge.unread')).toHaveText('1 unread');
  // The latest activity first.
  await expect(sidebar(page).locator('li.side-room').first()).toHaveAttribute('data-room', there);
  await api.call('POST', `/room/${there}/messages`, { key: bo.key, body: { text: 'ana, look', mentions: [ana.id] } });
  await expect(row(page, there).locator('.badge.unread')).toHaveText('2 unread');
  await expect(row(page, there).locator('.badge.mention')).toHaveText('@1 mention');
  // It came over the one inbox socket: the list was not read again, and the page has no
  // sockets but the inbox's and the open room's.
  expect(listed()).toBe(before);
  expect(new Set(sockets)).toEqual(new Set([`/user/${ana.id}/live`, `/room/${here}/live`]));
  expect(await seriousViolations(page)).toEqual([]);

  // Opening it: the room shows both messages, and reads them.
  await row(page, there).getByRole('link').click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(thereName);
  await expect(history(page).locator('.msg .text')).toHaveText(['over here!', 'ana, look']);
  await expect(row(page, there).getByRole('link')).toHaveAttribute('aria-current', 'page');
  // Back in the other room, its badges are gone: the inbox said it was read.
  await row(page, here).getByRole('link').click();
  await expect(page.getByRole('heading', { level: 1 })).not.toHaveText(thereName);
  await expect(row(page, there).locator('.badge')).toHaveCount(0);
  expect(await standing(api, ana, there)).toMatchObject({ unread: 0, mentions: 0 });
  expect(sockets.filter((path) => path === `/user/${ana.id}/live`)).toHaveLength(1);
});

test('what the inbox pushes while the list is read again is not undone by the reading', async ({ person, api }) => {
  const { ana, bo, here, there } = await twoRooms(api);
  const elsewhere = await api.createRoom(bo, unique('elsewhere'));
  const page = await person();
  const inbox = watchInbox(page, ana.id);
  await logIn(page, ana);
  await openRoom(page, here);
  await inbox.settled();
  // Ana joins a room, and the sidebar's reading of the list is answered before Bo posts.
  await listedAcrossAPush(page, inbox, api, {
    user: ana, joins: elsewhere, roomId: there, change: () => api.post(bo, there, 'while the list was read'),
  });
  await expect(row(page, elsewhere)).toBeVisible();
  await expect(row(page, there).locator('.badge.unread')).toHaveText('1 unread');
});

test('reading in one tab clears the badge in another', async ({ person, api }) => {
  const { ana, bo, there } = await twoRooms(api);
  const first = await person();
  await logIn(first, ana);
  await first.getByRole('link', { name: 'Directory' }).click();
  await expect(row(first, there)).toBeVisible();
  await api.post(bo, there, 'read me somewhere');
  await expect(row(first, there).locator('.badge.unread')).toHaveText('1 unread');

  const second = await person();
  await logIn(second, ana);
  await openRoom(second, there);
  await expect(history(second).locator('.msg .text')).toHaveText(['read me somewhere']);
  await expect(row(first, there).locator('.badge')).toHaveCount(0);
});

test('a reply in a thread one started shows in the sidebar; the room\'s line does not read it, its thread does', async ({ person, api }) => {
  const { ana, bo, here, there } = await twoRooms(api);
  const root = await api.post(ana, there, 'who brings what?');
  const page = await person();
  await logIn(page, ana);
  await openRoom(page, here);
  await expect(row(page, there).locator('.badge')).toHaveCount(0);
  // Bo replies in the thread Ana started: she follows it, so it is unread for her.
  await api.call('POST', `/room/${there}/messages`, { key: bo.key, body: { text: 'I bring bread', thread: root.message_id } });
  await expect(row(page, there).locator('.badge.unread')).toHaveText('1 unread');
  // The room's own line does not show the reply: it stays unread there.
  await row(page, there).getByRole('link').click();
  const opener = history(page).getByRole('button', { name: /in its thread/ });
  await expect(opener).toContainText('1 reply in its thread');
  await expect.poll(async () => (await standing(api, ana, there)).unread).toBe(1);
  // Its thread shows it: read.
  await opener.click();
  await expect(page.getByRole('complementary', { name: 'Thread' })).toContainText('I bring bread');
  await expect.poll(async () => (await standing(api, ana, there)).unread).toBe(0);
  await row(page, here).getByRole('link').click();
  await expect(row(page, there).locator('.badge')).toHaveCount(0);
});

test('a room its owner deletes leaves the sidebar of a member looking elsewhere', async ({ person, api }) => {
  const { ana, bo, here, there } = await twoRooms(api);
  const page = await person();
  await logIn(page, bo);
  await openRoom(page, here);
  await expect(row(page, there)).toBeVisible();
  await api.call('DELETE', `/room/${there}`, { key: ana.key });
  await expect(row(page, there)).toHaveCount(0);
  await expect(row(page, here)).toBeVisible();
});

test('the read position moves over what was on screen, not what was only loaded', async ({ person, api }) => {
  const { ana, bo, roomId } = await api.twoMembers('long read');
  const posted = [];
  for (let n = 1; n <= 40; n += 1) posted.push(await api.post(ana, roomId, `line ${String(n).padStart(2, '0')}`));
  const last = posted[posted.length - 1];

  const page = await person();
  const reads = [];
  page.on('websocket', (socket) => {
    if (new URL(socket.url()).pathname !== `/room/${roomId}/live`) return;
    socket.on('framesent', ({ payload }) => {
      const frame = JSON.parse(String(payload));
      if (frame.type === 'read') reads.push(frame.seq);
    });
  });
  await logIn(page, bo);
  await openRoom(page, roomId);
  // The room opens at the line where Bo stopped reading, not at its newest message.
  await expect(history(page).locator('.new-messages + .msg .text')).toHaveText('line 01');
  await expect(history(page).locator('.new-messages')).toBeInViewport();
  await expect(history(page).getByText('line 40', { exact: true })).not.toBeInViewport();
  // What was shown is read; the rest stays unread, exactly.
  await expect.poll(() => reads.length).toBeGreaterThan(0);
  const shownUpTo = reads[0];
  expect(shownUpTo).toBeGreaterThanOrEqual(posted[0].seq);
  expect(shownUpTo).toBeLessThan(last.seq);
  const unseen = posted.filter((message) => message.seq > shownUpTo).length;
  await expect.poll(async () => (await standing(api, bo, roomId)).unread).toBe(unseen);

  // Scrolling down shows the rest: all read.
  await history(page).hover();
  await page.mouse.wheel(0, 20_000);
  await expect(history(page).getByText('line 40', { exact: true })).toBeInViewport();
  await expect.poll(() => Math.max(...reads)).toBe(last.seq);
  await expect.poll(async () => (await standing(api, bo, roomId)).unread).toBe(0);
});

test('on a phone, the rooms list and the room are two screens', async ({ person, api }) => {
  const { ana, there, thereName } = await twoRooms(api);
  const page = await person({ width: 390, height: 844 });
  await logIn(page, ana);
  await page.getByRole('link', { name: thereName }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(thereName);
  await expect(sidebar(page)).toBeHidden();
  // The box to write in sits at the bottom of the screen.
  const box = await page.getByRole('textbox', { name: 'Message' }).boundingBox();
  expect(844 - (box.y + box.height)).toBeLessThan(120);
  expect(await seriousViolations(page)).toEqual([]);
  await page.getByRole('link', { name: 'All rooms' }).click();
  await expect(page.getByRole('heading', { name: 'My rooms', level: 1 })).toBeVisible();
});
