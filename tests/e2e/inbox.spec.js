// "My rooms" keeps up without polling: one inbox socket (GET /user/{id}/live) tells the list
// of a message in a room the person is not looking at, and of a mention; reading clears it.
const { test, expect, logIn, unique, openRoom, history, seriousViolations, watchInbox, listedAcrossAPush } = require('./fixtures.js');

const roomItem = (page, roomId) => page.locator(`li.room-item[data-room="${roomId}"]`);

test('a message elsewhere shows on My rooms over the inbox socket, without polling', async ({ person, api }) => {
  const ana = await api.signUp('ana');
  const bo = await api.signUp('bo');
  const quiet = await api.createRoom(ana, unique('quiet'));
  const busy = await api.createRoom(ana, unique('busy'));
  await api.join(bo, quiet);
  await api.join(bo, busy);

  const page = await person();
  const inbox = watchInbox(page, ana.id);
  const listed = inbox.listed;
  await logIn(page, ana);
  await expect(roomItem(page, busy)).toBeVisible();
  await expect(roomItem(page, busy).locator('.badge.unread')).toHaveCount(0);
  await inbox.settled();
  const before = listed();

  await api.post(bo, busy, 'are you there?');
  await expect(roomItem(page, busy).locator('.badge.unread')).toHaveText('1 unread');
  await api.call('POST', `/room/${busy}/messages`, { key: bo.key, body: { text: 'ana!', mentions: [ana.id] } });
  await expect(roomItem(page, busy).locator('.badge.unread')).toHaveText('2 unread');
  await expect(roomItem(page, busy).locator('.badge.mention')).toHaveText('1 mention');
  // The badges came over the socket: the page did not read its list again.
  expect(listed()).toBe(before);
  expect(await seriousViolations(page)).toEqual([]);

  // Read elsewhere (another tab, here the API): the badges clear.
  const { messages } = await api.call('GET', `/room/${busy}/messages`, { key: ana.key });
  await api.call('PUT', `/room/${busy}/read`, { key: ana.key, body: { seq: messages[0].seq } });
  await expect(roomItem(page, busy).locator('.badge')).toHaveCount(0);
});

test('what the inbox pushes while My rooms is read again is not undone by the reading', async ({ person, api }) => {
  const ana = await api.signUp('ana');
  const bo = await api.signUp('bo');
  const busy = await api.createRoom(ana, unique('busy'));
  const elsewhere = await api.createRoom(bo, unique('elsewhere'));
  await api.join(bo, busy);
  const page = await person();
  const inbox = watchInbox(page, ana.id);
  await logIn(page, ana);
  await expect(roomItem(page, busy)).toBeVisible();
  await inbox.settled();
  // Ana joins a room, and the page's reading of the list is answered before Bo posts.
  await listedAcrossAPush(page, inbox, api, {
    user: ana, joins: elsewhere, roomId: busy, change: () => api.post(bo, busy, 'while the list was read'),
  });
  await expect(roomItem(page, elsewhere)).toBeVisible();
  await expect(roomItem(page, busy).locator('.badge.unread')).toHaveText('1 unread');
});

test('a mention is highlighted in its room and listed under Mentions', async ({ person, api }) => {
  const { ana, bo, roomId } = await api.twoMembers('hall');
  await api.call('POST', `/room/${roomId}/messages`, { key: bo.key, body: { text: 'ana, a look?', mentions: [ana.id] } });
  await api.post(bo, roomId, 'not about ana');

  const page = await person();
  await logIn(page, ana);
  await page.getByRole('link', { name: 'Mentions' }).click();
  const mentions = page.getByRole('list', { name: 'Mentions' });
  // Listed once the room has told D1 (its flush, about a second).
  await expect.poll(async () => {
    await page.reload();
    return mentions.getByText('ana, a look?').count();
  }).toBe(1);
  await expect(mentions.getByText('not about ana')).toHaveCount(0);
  expect(await seriousViolations(page)).toEqual([]);
  await mentions.getByRole('link', { name: 'Open the room' }).click();
  const mentioned = page.locator('.msg.mentions-me');
  await expect(mentioned).toHaveCount(1);
  await expect(mentioned).toContainText('ana, a look?');
  await expect(mentioned.locator('.badge.mention')).toHaveText('mentions you');
  expect(await seriousViolations(page)).toEqual([]);
});

test('typing @ and a handle offers the room\'s members; the one picked is mentioned', async ({ person, api }) => {
  const { ana, bo, roomId } = await api.twoMembers('hall');

  const page = await person();
  await logIn(page, ana);
  await openRoom(page, roomId);
  const box = page.getByRole('textbox', { name: 'Message' });
  await box.pressSequentially(`hi @${bo.handle.slice(0, 4)}`);
  const offered = page.getByRole('listbox', { name: 'People to mention' }).getByRole('option');
  await expect(offered).toHaveCount(1);
  await expect(offered).toContainText(`@${bo.handle}`);
  expect(await seriousViolations(page)).toEqual([]);
  await box.press('Enter');
  await expect(box).toHaveValue(`hi @${bo.handle} `);
  await expect(offered).toHaveCount(0);
  await box.pressSequentially('look');
  await box.press('Enter');
  await expect(history(page).locator('.msg.mine:not(.pending) .text')).toHaveText(`hi @${bo.handle} look`);
  const { messages } = await api.call('GET', `/room/${roomId}/messages`, { key: ana.key });
  expect(messages[0].mentions).toEqual([bo.id]);

  // Bo sees it as mentioning him.
  const other = await person();
  await logIn(other, bo);
  await openRoom(other, roomId);
  await expect(other.locator('.msg.mentions-me .badge.mention')).toHaveText('mentions you');
});
