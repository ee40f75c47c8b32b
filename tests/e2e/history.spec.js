// A room's history: paging back shows every message exactly once and in order, and what
// people type is shown as text, never as markup.
const { test, expect, logIn, openRoom, history, messageTexts, postInPage } = require('./fixtures.js');

const numbered = (from, to) => Array.from({ length: to - from + 1 }, (_, i) => `message ${String(from + i).padStart(3, '0')}`);

test('paging back through 120 messages shows each exactly once', async ({ person, api }) => {
  const owner = await api.signUp('kim');
  const roomId = await api.createRoom(owner, 'long history');
  for (const text of numbered(1, 120)) await api.post(owner, roomId, text);

  const page = await person();
  await logIn(page, owner);
  await openRoom(page, roomId);
  // The newest page first, newest at the bottom, scrolled to it.
  await expect(history(page).locator('.msg')).toHaveCount(50);
  expect(await messageTexts(page)).toEqual(numbered(71, 120));
  await expect(history(page).getByText('message 120')).toBeInViewport();

  // Scrolling to the top (with the mouse wheel) loads the page before.
  await history(page).hover();
  await page.mouse.wheel(0, -20_000);
  await expect(history(page).locator('.msg')).toHaveCount(100);
  expect(await messageTexts(page)).toEqual(numbered(21, 120));

  // Meanwhile someone writes: the live socket adds it at the bottom, while paging back goes on.
  await api.post(owner, roomId, 'message 121');
  await expect(history(page).locator('.msg').last()).toHaveText(/message 121/);

  // The button loads the rest; the start of the room says so.
  await history(page).getByRole('button', { name: 'Load older messages' }).click();
  await expect(history(page).getByText('This is the beginning of the room.')).toBeVisible();
  await expect(history(page).getByRole('button', { name: 'Load older messages' })).toBeHidden();
  expect(await messageTexts(page)).toEqual(numbered(1, 121));
});

test('an empty room says it is at its beginning; my first message shows at once', async ({ person, api }) => {
  const owner = await api.signUp('lee');
  const roomId = await api.createRoom(owner, 'empty');
  const page = await person();
  await logIn(page, owner);
  await openRoom(page, roomId);
  await expect(history(page).getByText('This is the beginning of the room.')).toBeVisible();
  await postInPage(page, 'first!\nwith a second line');
  await expect(history(page).locator('.msg .text')).toHaveText(['first!\nwith a second line']);
  await expect(page.getByRole('textbox', { name: 'Message' })).toHaveValue('');
  await expect(page.getByRole('textbox', { name: 'Message' })).toBeFocused();
});

test('what people type is shown as text, never run as markup', async ({ person, api }) => {
  const attacker = await api.signUp('<img src=x onerror="window.pwned=1">');
  const roomName = '<b>bold</b><script>window.pwned=2</script>';
  const roomId = await api.createRoom(attacker, roomName);
  const payload = '<img src=x onerror="window.pwned=3"> & <a href="javascript:alert(1)">link</a>';
  await api.post(attacker, roomId, payload);

  const page = await person();
  await logIn(page, attacker);
  await expect(page.getByRole('link', { name: roomName })).toBeVisible();
  await openRoom(page, roomId);
  await expect(page.getByRole('heading', { name: roomName, level: 1 })).toBeVisible();
  await expect(history(page).locator('.msg .text')).toHaveText([payload]);
  await expect(history(page).locator('.msg .name')).toHaveText([attacker.name]);
  await expect(page.locator('main img, main script, main b, .msg a')).toHaveCount(0);
  expect(await page.evaluate(() => window.pwned)).toBeUndefined();
});

test('right-to-left names and text are isolated: they cannot reorder the handle or words beside them', async ({ person, api }) => {
  // What the API accepts (it refuses U+202E and the other bidi controls): Hebrew and Arabic
  // letters, and digits, which beside right-to-left letters would otherwise move with them.
  const owner = await api.signUp('שרה 42');
  const roomId = await api.createRoom(owner, 'مقهى 7');
  await api.post(owner, roomId, 'שלום 123 عالم');
  const page = await person();
  await logIn(page, owner);
  await openRoom(page, roomId);

  const isolation = (locator) => locator.evaluate((element) => [element.tagName, getComputedStyle(element).unicodeBidi]);
  const label = history(page).locator('.msg .user').first();
  await expect(label.locator('.name')).toHaveText('שרה 42');
  expect(await isolation(label.locator('.name'))).toEqual(['BDI', 'isolate']);
  // The handle stays after the name, on its right, as in any left-to-right line.
  await expect(label.locator('.handle')).toHaveText(` @${owner.handle}`);
  const name = await label.locator('.name').boundingBox();
  const handle = await label.locator('.handle').boundingBox();
  expect(handle.x).toBeGreaterThanOrEqual(name.x + name.width - 1);

  const text = history(page).locator('.msg .text').first();
  await expect(text).toHaveText('שלום 123 عالم');
  expect((await isolation(text))[1]).toBe('isolate');
  const title = page.getByRole('heading', { level: 1 }).locator('bdi');
  await expect(title).toHaveText('مقهى 7');
  expect(await isolation(title)).toEqual(['BDI', 'isolate']);
  expect(await isolation(page.locator('#me .who bdi').first())).toEqual(['BDI', 'isolate']);
});
