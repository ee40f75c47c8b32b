// The room's live socket, as people see it: messages arrive over it with no polling, who is
// here and who is typing show, messages are edited and deleted in every page at once, and a
// server restart loses nothing.
const { startServer } = require('./server.js');
const {
  test, expect, Api, logIn, openRoom, history, messageTexts, messageRow, postInPage, unique, exactly, seriousViolations,
} = require('./fixtures.js');

const hereNow = (page) => page.getByRole('list', { name: 'Here now' });
const typing = (page) => page.locator('.chat .typing');

/**
 * What a page asks of the server: its HTTP requests and its sockets, with the frames each way
 * (parsed). Started before the page opens the room.
 */
function watch(page) {
  const requests = [];
  const sockets = [];
  page.on('request', (request) => requests.push({ method: request.method(), url: new URL(request.url()) }));
  page.on('websocket', (socket) => {
    // The room's sockets: the person's inbox socket (My rooms, inbox.spec.js) is not the room's.
    if (!new URL(socket.url()).pathname.startsWith('/room/')) return;
    const entry = { url: new URL(socket.url()), sent: [], received: [], closed: false };
    sockets.push(entry);
    const parse = (list) => ({ payload }) => {
      try { list.push(JSON.parse(String(payload))); } catch { list.push({ type: '(not JSON)' }); }
    };
    socket.on('framesent', parse(entry.sent));
    socket.on('framereceived', parse(entry.received));
    socket.on('close', () => { entry.closed = true; });
  });
  return {
    requests,
    sockets,
    /** GET …/messages?after=: what a polling client asks. */
    polls: () => requests.filter(({ method, url }) => method === 'GET' && /\/messages$/.test(url.pathname) && url.searchParams.has('after')),
    /** Messages posted by HTTP instead of over the socket. */
    posts: () => requests.filter(({ method, url }) => method === 'POST' && /\/messages$/.test(url.pathname)),
  };
}

/** Logs `user` in, in a page of their own, and opens the room once its socket is live. */
async function inRoom(person, user, roomId, options = {}) {
  const page = await person(options);
  const traffic = watch(page);
  await logIn(page, user);
  await openRoom(page, roomId);
  await expect(hereNow(page).getByRole('listitem').filter({ has: page.locator('.name', { hasText: exactly(user.name) }) })).toBeVisible();
  return { page, traffic };
}

test('two people talk over the socket, and neither page polls while it is open', async ({ person, api }) => {
  const { ana, bo, roomId } = await api.twoMembers('live room');
  const a = await inRoom(person, ana, roomId);
  const b = await inRoom(person, bo, roomId);

  await postInPage(a.page, 'hello over the socket');
  await expect(history(b.page).getByText('hello over the socket')).toBeVisible();
  await postInPage(b.page, 'and back again');
  await expect(history(a.page).getByText('and back again')).toBeVisible();
  // Someone posting by HTTP reaches both pages too.
  await api.post(ana, roomId, 'posted by HTTP');
  for (const { page } of [a, b]) {
    await expect(history(page).locator('.msg .text')).toHaveText(['hello over the socket', 'and back again', 'posted by HTTP']);
  }
  // Longer than two polling intervals: a polling page would have asked by now.
  await a.page.waitForTimeout(3_500);

  for (const { page, traffic } of [a, b]) {
    expect(traffic.polls(), 'GET …/messages?after= while the socket is open').toEqual([]);
    expect(traffic.posts(), 'messages posted by HTTP').toEqual([]);
    expect(traffic.sockets).toHaveLength(1);
    const [socket] = traffic.sockets;
    expect(socket.url.pathname).toBe(`/room/${roomId}/live`);
    // A ticket, never the session key, in the socket's URL.
    expect(socket.url.searchParams.get('ticket')).toBeTruthy();
    expect(socket.url.search).not.toContain(await page.evaluate(() => JSON.parse(sessionStorage.getItem('chatrooms.session')).key));
    expect(socket.received.map((frame) => frame.type).slice(0, 2)).toEqual(['hello', 'ready']);
    const sends = socket.sent.filter((frame) => frame.type === 'send');
    expect(sends).toHaveLength(1);
    expect(sends[0].txn_id).toMatch(/^.{1,64}$/);
    expect(socket.received.find((frame) => frame.type === 'sent')?.txn_id).toBe(sends[0].txn_id);
  }
});

test('who is here and who is typing show in the other page', async ({ person, api }) => {
  const { ana, bo, roomId } = await api.twoMembers('live room');
  const a = await inRoom(person, ana, roomId);
  const b = await inRoom(person, bo, roomId);

  // Each sees both, each name once.
  for (const { page } of [a, b]) {
    await expect(hereNow(page).getByRole('listitem')).toHaveCount(2);
    // In the order the server sends them: by user id.
    const byId = [ana, bo].sort((x, y) => (x.id < y.id ? -1 : 1)).map((user) => user.name);
    await expect(hereNow(page).locator('.name')).toHaveText(byId);
  }

  // Bo types for about three seconds: Ana sees it; Bo's page says so at most every 2 s.
  const box = b.page.getByRole('textbox', { name: 'Message' });
  await box.click();
  const started = Date.now();
  await box.pressSequentially('typing slowly, one key at a time', { delay: 100 });
  const typedFor = Date.now() - started;
  await expect(typing(a.page)).toHaveText('bo is typing…');
  await expect(typing(b.page)).toHaveText('');
  const typings = b.traffic.sockets[0].sent.filter((frame) => frame.type === 'typing');
  expect(typings.length).toBeGreaterThanOrEqual(1);
  expect(typings.length).toBeLessThanOrEqual(Math.floor(typedFor / 2_000) + 1);
  expect(typings[0]).toEqual({ type: 'typing' });
  // The message ends it.
  await box.press('Enter');
  await expect(history(a.page).getByText('typing slowly, one key at a time')).toBeVisible();
  await expect(typing(a.page)).toHaveText('');

  // Bo goes: Ana sees only herself.
  await b.page.close();
  await expect(hereNow(a.page).getByRole('listitem')).toHaveCount(1);
  await expect(hereNow(a.page)).toContainText('ana');
});

test('people edit and delete their own messages, admins delete anyone\'s, in every page at once', async ({ person, api }) => {
  const { ana, bo, roomId } = await api.twoMembers('live room');
  const a = await inRoom(person, ana, roomId);
  const b = await inRoom(person, bo, roomId);
  await postInPage(a.page, 'ana wrote this wrongly');
  await postInPage(b.page, 'bo takes this back');
  await postInPage(b.page, 'bo says something rude');
  await expect(history(a.page).locator('.msg')).toHaveCount(3);

  // What each may do, in each message's menu: Bo edits and deletes his own only; Ana (the
  // owner) deletes anyone's.
  const menuButton = (page, text) => messageRow(page, text).getByRole('button', { name: 'Actions' });
  const items = async (page, text) => {
    await menuButton(page, text).click();
    const menu = messageRow(page, text).getByRole('menuitem');
    const names = await menu.allTextContents();
    await page.keyboard.press('Escape');
    await expect(menu.first()).toBeHidden();
    return names;
  };
  const choose = async (page, text, name) => {
    await menuButton(page, text).click();
    await messageRow(page, text).getByRole('menuitem', { name, exact: true }).click();
  };
  expect(await items(b.page, 'ana wrote this wrongly')).toEqual(['Reply', 'Reply in thread', 'React']);
  expect(await items(b.page, 'bo takes this back')).toEqual(['Reply', 'Reply in thread', 'React', 'Edit', 'Delete']);
  expect(await items(a.page, 'ana wrote this wrongly')).toEqual(['Reply', 'Reply in thread', 'React', 'Edit', 'Delete']);
  expect(await items(a.page, 'bo says something rude')).toEqual(['Reply', 'Reply in thread', 'React', 'Delete']);

  // Ana edits hers; Bo sees the new text, marked edited.
  await choose(a.page, 'ana wrote this wrongly', 'Edit');
  const editBox = a.page.getByRole('textbox', { name: 'Edit message' });
  await expect(editBox).toBeFocused();
  await expect(editBox).toHaveValue('ana wrote this wrongly');
  await editBox.fill('ana wrote this rightly');
  const patched = a.page.waitForResponse((r) => r.request().method() === 'PATCH');
  await editBox.press('Enter');
  expect((await patched).status()).toBe(200);
  await expect(messageRow(b.page, 'ana wrote this rightly')).toContainText('edited');
  await expect(menuButton(a.page, 'ana wrote this rightly')).toBeFocused();

  // Bo deletes his own, after a confirmation.
  await choose(b.page, 'bo takes this back', 'Delete');
  await b.page.getByRole('dialog').getByRole('button', { name: 'Delete message' }).click();
  // Ana deletes Bo's other one.
  await choose(a.page, 'bo says something rude', 'Delete');
  await a.page.getByRole('dialog').getByRole('button', { name: 'Delete message' }).click();

  const expected = ['ana wrote this rightly', 'message deleted', 'message deleted'];
  for (const { page } of [a, b]) {
    await expect(history(page).locator('.msg .text')).toHaveText(expected);
    await expect(history(page).locator('.msg.deleted')).toHaveCount(2);
    await expect(history(page).locator('.msg.deleted .name')).toHaveCount(0);
  }
  // The history says the same when read again.
  await b.page.reload();
  await expect(history(b.page).locator('.msg .text')).toHaveText(expected);
});

test('every change to the room shows in the other page at once, and a kick closes it', async ({ person, api }) => {
  const ana = await api.signUp('ana');
  const bo = await api.signUp('bo');
  const cy = await api.signUp('cy');
  const roomId = await api.createRoom(ana, unique('closed live room'), false);
  await api.add(ana, roomId, bo);
  const b = await inRoom(person, bo, roomId);
  const meta = b.page.locator('.room-meta');
  await expect(meta).toContainText('you are a member');

  const name = unique('renamed');
  await api.call('PATCH', `/room/${roomId}`, { key: ana.key, body: { name } });
  await expect(b.page.getByRole('heading', { name, level: 1 })).toBeVisible();
  await expect(b.page).toHaveTitle(`\u2068${name}\u2069 · chatrooms`);

  await api.call('POST', `/room/${roomId}/admins`, { key: ana.key, body: { user_id: bo.id } });
  await expect(meta).toContainText('you are an admin');
  await expect(b.page.getByRole('heading', { name: 'Room settings' })).toBeVisible();

  await api.add(ana, roomId, cy);
  await expect(meta).toContainText('3 members');
  await expect(b.page.getByRole('list', { name: 'Members' })).toContainText('cy');

  await api.call('DELETE', `/room/${roomId}/admins/${bo.id}`, { key: ana.key });
  await expect(meta).toContainText('you are a member');
  await expect(b.page.getByRole('heading', { name: 'Room settings' })).toHaveCount(0);

  // None of it was found by reading the room again: the socket said it.
  const roomReads = b.traffic.requests.filter(({ method, url }) => method === 'GET' && url.pathname === `/room/${roomId}`);
  expect(roomReads).toHaveLength(1);

  await api.call('DELETE', `/room/${roomId}/members/${bo.id}`, { key: ana.key });
  await expect(b.page.getByRole('alert')).toHaveText('You no longer have access to this room: you were removed from it.');
  await expect(b.page.getByRole('textbox', { name: 'Message' })).toHaveCount(0);
  expect(b.traffic.polls()).toEqual([]);
});

test('a server restart loses nothing: pages reconnect, resume, and send what was written meanwhile', async ({ person }) => {
  test.setTimeout(180_000);
  // A server of its own: the others' tests go on on the shared one.
  const server = await startServer();
  try {
    const api = new Api(server.base);
    const { ana, bo, roomId } = await api.twoMembers('live room');
    const cy = await api.signUp('cy');
    await api.join(cy, roomId);
    const a = await inRoom(person, ana, roomId, { baseURL: server.base });
    const b = await inRoom(person, bo, roomId, { baseURL: server.base });
    await postInPage(a.page, 'before the restart');
    await expect(history(b.page).getByText('before the restart')).toBeVisible();

    // Bo's page is offline from the restart on, so that it misses what follows and must resume.
    await b.page.context().setOffline(true);
    await server.halt();
    await expect(a.page.locator('.chat .connection')).toHaveText('Reconnecting…');
    // Ana writes while the server is down: shown as on its way, sent once a socket opens.
    await a.page.getByRole('textbox', { name: 'Message' }).fill('written while the server was down');
    await a.page.getByRole('textbox', { name: 'Message' }).press('Enter');
    await expect(history(a.page).locator('.msg.pending')).toHaveText(/written while the server was down/);

    await server.start();
    await expect(history(a.page).locator('.msg.pending')).toHaveCount(0, { timeout: 30_000 });
    for (const text of ['after the restart 1', 'after the restart 2']) await api.post(cy, roomId, text);
    const expected = ['before the restart', 'written while the server was down', 'after the restart 1', 'after the restart 2'];
    await expect(history(a.page).locator('.msg .text')).toHaveText(expected);

    // Bo comes back: his page resumes from the last event it had, and gets each message once.
    await b.page.context().setOffline(false);
    await expect(history(b.page).locator('.msg .text')).toHaveText(expected, { timeout: 30_000 });
    const resumed = b.traffic.sockets.at(-1);
    expect(Number(resumed.url.searchParams.get('after'))).toBeGreaterThan(0);
    expect(resumed.received.filter((frame) => frame.type === 'message').map((frame) => frame.message.text))
      .toEqual(expected.slice(1));
    // Ana's message went once, over the socket, with the txn_id it was first given.
    const sends = a.traffic.sockets.flatMap((socket) => socket.sent).filter((frame) => frame.type === 'send' && frame.text === expected[1]);
    expect(new Set(sends.map((frame) => frame.txn_id)).size).toBe(1);
    expect(a.traffic.posts()).toEqual([]);
    for (const { traffic } of [a, b]) expect(traffic.polls()).toEqual([]);

    // And the history, read again, agrees.
    await b.page.reload();
    await expect(history(b.page).locator('.msg .text')).toHaveText(expected);
    expect(await messageTexts(a.page)).toEqual(expected);
  } finally {
    await server.stop();
  }
});

test('a room opens with a line where the messages one has not read begin, and reading moves it on', async ({ person, api }) => {
  const ana = await api.signUp('ana');
  const bo = await api.signUp('bo');
  const roomId = await api.createRoom(ana, unique('reading room'));
  await api.post(ana, roomId, 'before bo came');
  await api.join(bo, roomId);
  const seen = await api.post(ana, roomId, 'welcome, bo');
  const page = await person();
  await logIn(page, bo);
  await openRoom(page, roomId);
  // What came before the join is not unread; what came after is, and the line stands before it.
  await expect(history(page).locator('.new-messages + .msg .text')).toHaveText('welcome, bo');
  expect(await messageTexts(page)).toEqual(['before bo came', 'welcome, bo']);
  // The page tells the room what it showed.
  const readSeq = async () => (await api.call('PUT', `/room/${roomId}/read`, { key: bo.key, body: { seq: 0 } })).read_seq;
  await expect.poll(readSeq).toBeGreaterThanOrEqual(seen.seq);
  await page.goto('/#/mine');
  await api.post(ana, roomId, 'first unread');
  await api.post(ana, roomId, 'second unread');
  await openRoom(page, roomId);
  await expect(history(page).locator('.new-messages')).toHaveCount(1);
  await expect(history(page).locator('.new-messages')).toHaveText('New messages');
  await expect(history(page).locator('.new-messages + .msg .text')).toHaveText('first unread');
});

test('a reply quotes its message in every page, follows its edit, and goes to it', async ({ person, api }) => {
  const { ana, bo, roomId } = await api.twoMembers('live room');
  const parent = await api.post(ana, roomId, 'lunch at noon?');
  const a = await inRoom(person, ana, roomId);
  const b = await inRoom(person, bo, roomId);
  // Bo replies from the message's menu; the box says to what, until it is sent.
  await messageRow(b.page, 'lunch at noon?').getByRole('button', { name: 'Actions' }).click();
  await messageRow(b.page, 'lunch at noon?').getByRole('menuitem', { name: 'Reply', exact: true }).click();
  await expect(b.page.locator('.reply-bar')).toContainText('Replying to');
  await expect(b.page.getByRole('textbox', { name: 'Message' })).toBeFocused();
  await postInPage(b.page, 'noon works');
  await expect(b.page.locator('.reply-bar')).toBeHidden();
  for (const { page } of [a, b]) {
    await expect(messageRow(page, 'noon works').locator('.reply-quote')).toContainText('lunch at noon?');
  }
  // Ana edits hers: the quote follows in Bo's page, over the socket.
  await api.call('PATCH', `/room/${roomId}/messages/${parent.message_id}`, { key: ana.key, body: { text: 'lunch at one?' } });
  await expect(messageRow(b.page, 'noon works').locator('.reply-quote')).toContainText('lunch at one?');
  // The quote goes to the message it quotes.
  await messageRow(b.page, 'noon works').getByRole('button', { name: /In reply to/ }).click();
  await expect(messageRow(b.page, 'lunch at one?').locator('.text')).toBeFocused();
  // The API says the same.
  const { messages } = await api.call('GET', `/room/${roomId}/messages`, { key: bo.key });
  expect(messages[0].reply_to).toEqual({ message_id: parent.message_id, user_id: ana.id, preview: 'lunch at one?' });
  expect(await seriousViolations(b.page)).toEqual([]);
});

test('people react from the menu or the keyboard, toggle their own, and every page counts alike', async ({ person, api }) => {
  const { ana, bo, roomId } = await api.twoMembers('reacting room');
  const message = await api.post(ana, roomId, 'the plan is set');
  const a = await inRoom(person, ana, roomId);
  const b = await inRoom(person, bo, roomId);
  const reaction = (page, key) => messageRow(page, 'the plan is set').locator('.reactions').getByRole('button', { name: new RegExp(`^${key}:`) });

  // Bo picks 🎉 with the mouse, from the message's menu.
  await messageRow(b.page, 'the plan is set').getByRole('button', { name: 'Actions', exact: true }).click();
  await messageRow(b.page, 'the plan is set').getByRole('menuitem', { name: 'React' }).click();
  const picker = b.page.getByRole('group', { name: 'Pick a reaction' });
  await expect(picker.getByRole('button').first()).toBeFocused();
  await picker.getByRole('button', { name: '🎉' }).click();
  await expect(picker).toBeHidden();
  for (const { page } of [a, b]) await expect(reaction(page, '🎉')).toContainText('1');
  await expect(reaction(b.page, '🎉')).toHaveAttribute('aria-pressed', 'true');
  await expect(reaction(a.page, '🎉')).toHaveAttribute('aria-pressed', 'false');
  await expect(reaction(a.page, '🎉')).toHaveAccessibleName('🎉: 1 reaction');

  // Ana, with the keyboard only: the menu, React, the arrow keys to 👍, Enter.
  const menu = messageRow(a.page, 'the plan is set').getByRole('button', { name: 'Actions', exact: true });
  await menu.focus();
  await a.page.keyboard.press('ArrowDown');
  await a.page.keyboard.press('ArrowDown');
  await a.page.keyboard.press('ArrowDown');
  await expect(messageRow(a.page, 'the plan is set').getByRole('menuitem', { name: 'React' })).toBeFocused();
  await a.page.keyboard.press('Enter');
  const aPicker = a.page.getByRole('group', { name: 'Pick a reaction' });
  await expect(aPicker.getByRole('button', { name: '👍' })).toBeFocused();
  // The common ones first (🎉 among them, pressed for nobody here yet), then the message's own.
  await a.page.keyboard.press('End');
  await expect(aPicker.getByRole('button', { name: '✅' })).toBeFocused();
  await a.page.keyboard.press('ArrowRight');
  await expect(aPicker.getByRole('button', { name: '👍' })).toBeFocused();
  await a.page.keyboard.press('Home');
  await a.page.keyboard.press('Enter');
  for (const { page } of [a, b]) {
    await expect(messageRow(page, 'the plan is set').locator('.reactions .reaction')).toHaveCount(2);
    await expect(reaction(page, '👍')).toContainText('1');
  }
  // Ana joins Bo's 🎉 from the row: 2, pressed for both, and her focus stays on it.
  await reaction(a.page, '🎉').focus();
  await a.page.keyboard.press('Enter');
  for (const { page } of [a, b]) await expect(reaction(page, '🎉')).toContainText('2');
  await expect(reaction(a.page, '🎉')).toHaveAttribute('aria-pressed', 'true');
  await expect(reaction(a.page, '🎉')).toBeFocused();
  // Escape closes a picker back to the menu button.
  await menu.click();
  await messageRow(a.page, 'the plan is set').getByRole('menuitem', { name: 'React' }).click();
  await expect(aPicker.getByRole('button', { name: '🎉' })).toHaveAttribute('aria-pressed', 'true');
  expect(await seriousViolations(a.page)).toEqual([]);
  await a.page.keyboard.press('Escape');
  await expect(aPicker).toBeHidden();
  await expect(menu).toBeFocused();
  expect(await seriousViolations(a.page)).toEqual([]);

  // Bo takes his back: 1 left, no longer pressed for him; 👍 goes when Ana takes hers back.
  await reaction(b.page, '🎉').click();
  for (const { page } of [a, b]) await expect(reaction(page, '🎉')).toContainText('1');
  await expect(reaction(b.page, '🎉')).toHaveAttribute('aria-pressed', 'false');
  await reaction(a.page, '👍').click();
  for (const { page } of [a, b]) await expect(reaction(page, '👍')).toHaveCount(0);
  // The API says the same, and so does a page read anew.
  const { messages } = await api.call('GET', `/room/${roomId}/messages`, { key: bo.key });
  expect(messages.find((m) => m.message_id === message.message_id).reactions).toEqual([{ key: '🎉', count: 1, me: false }]);
  await b.page.reload();
  await expect(reaction(b.page, '🎉')).toContainText('1');
  await expect(reaction(b.page, '🎉')).toHaveAttribute('aria-pressed', 'false');
});

test('a search finds messages in any script, marks the match, and shows a result in its place', async ({ person, api }) => {
  const { ana, bo, roomId } = await api.twoMembers('searching room');
  await api.post(bo, roomId, '東京で会いましょう');
  for (let n = 0; n < 60; n += 1) await api.post(ana, roomId, `filler ${n}`);
  await api.post(bo, roomId, 'Tokyo at noon, then');
  const { page } = await inRoom(person, ana, roomId);
  // The first message is far back: not in the history the room opened with.
  await expect(messageRow(page, '東京で会いましょう')).toHaveCount(0);

  // With the keyboard: the box, a query, Enter.
  const box = page.getByRole('searchbox', { name: 'Search this room' });
  await box.focus();
  await page.keyboard.type('TOKYO');
  await page.keyboard.press('Enter');
  const results = page.getByRole('list', { name: 'Messages found' });
  await expect(results.getByRole('listitem')).toHaveCount(1);
  await expect(results.locator('mark')).toHaveText('Tokyo');
  await expect(page.locator('.search-status')).toHaveText('1 message found for “TOKYO”.');
  expect(await seriousViolations(page)).toEqual([]);

  // Two characters of Japanese find it too; its button shows it in its place, older pages loaded.
  await box.fill('東京');
  await box.press('Enter');
  await expect(results.locator('mark')).toHaveText('東京');
  await expect(box).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(page.getByRole('button', { name: 'Search', exact: true })).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(results.getByRole('button').first()).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(messageRow(page, '東京で会いましょう').locator('.text')).toBeFocused();
  await expect(messageRow(page, '東京で会いましょう')).toBeInViewport();

  // Nothing found says so; Escape closes the search back to its box.
  await box.fill('zebra');
  await box.press('Enter');
  await expect(page.locator('.search-status')).toHaveText('Nothing found for “zebra”.');
  await box.press('Escape');
  await expect(results).toBeHidden();
  await expect(box).toBeFocused();
});

test('a thread opens beside the conversation: its replies, a reply from the keyboard, live in both pages', async ({ person, api }) => {
  const { ana, bo, roomId } = await api.twoMembers('threaded room');
  const root = await api.post(ana, roomId, 'who brings what?');
  const a = await inRoom(person, ana, roomId);
  const b = await inRoom(person, bo, roomId);
  await api.call('POST', `/room/${roomId}/messages`, { key: ana.key, body: { text: 'I bring bread', thread: root.message_id } });
  const opener = (page) => messageRow(page, 'who brings what?').getByRole('button', { name: /in its thread/ });
  for (const { page } of [a, b]) await expect(opener(page)).toContainText('1 reply in its thread');
  // The reply is not in the room's line.
  expect(await messageTexts(b.page)).toEqual(['who brings what?']);

  // Bo opens it with the mouse: the reply is there.
  await opener(b.page).click();
  const panel = (page) => page.getByRole('complementary', { name: 'Thread' });
  await expect(panel(b.page).getByRole('list', { name: 'Replies' })).toContainText('I bring bread');
  await expect(opener(b.page)).toHaveAttribute('aria-expanded', 'true');

  // Ana, by keyboard: the message's menu, Reply in thread, her words, Enter.
  const menu = messageRow(a.page, 'who brings what?').getByRole('button', { name: 'Actions', exact: true });
  await menu.focus();
  await a.page.keyboard.press('ArrowDown');
  await a.page.keyboard.press('ArrowDown');
  await expect(messageRow(a.page, 'who brings what?').getByRole('menuitem', { name: 'Reply in thread' })).toBeFocused();
  await a.page.keyboard.press('Enter');
  const box = a.page.getByRole('textbox', { name: 'Reply in thread' });
  await expect(box).toBeFocused();
  await a.page.keyboard.type('and I bring cheese');
  await a.page.keyboard.press('Enter');
  await expect(box).toHaveValue('');
  for (const { page } of [a, b]) {
    await expect(panel(page).getByRole('list', { name: 'Replies' }).locator('.text')).toHaveText(['I bring bread', 'and I bring cheese']);
    await expect(opener(page)).toContainText('2 replies in its thread');
  }
  expect(await seriousViolations(a.page)).toEqual([]);
  // Escape closes it, back to the thread's button; the room's line never showed the replies.
  await a.page.keyboard.press('Escape');
  await expect(panel(a.page)).toHaveCount(0);
  await expect(opener(a.page)).toBeFocused();
  expect(await messageTexts(a.page)).toEqual(['who brings what?']);
  await b.page.reload();
  await expect(opener(b.page)).toContainText('2 replies in its thread');
  expect(await messageTexts(b.page)).toEqual(['who brings what?']);
});
