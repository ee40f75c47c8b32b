// Files in messages: attached by the button, by a drop or by a paste, each uploaded at once with
// its progress shown; pictures shown in place (fetched with the key as a header, from a blob:
// URL), other files as named downloads with their size; a file over the limit refused before
// any byte is sent.
const { test, expect, logIn, openRoom, messageRow, seriousViolations } = require('./fixtures.js');

// A 1×1 PNG.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

async function inRoom(person, user, roomId) {
  const page = await person();
  await logIn(page, user);
  await openRoom(page, roomId);
  return page;
}

/** What the page uploaded: the POSTs to the room's files. */
function uploads(page, roomId) {
  const seen = [];
  page.on('request', (request) => {
    if (request.method() === 'POST' && new URL(request.url()).pathname === `/room/${roomId}/files`) seen.push(request.url());
  });
  return seen;
}

test('a picture and a document go with a message, by the button; both pages show them', async ({ person, api }) => {
  const { ana, bo, roomId } = await api.twoMembers('files room');
  const a = await inRoom(person, ana, roomId);
  const b = await inRoom(person, bo, roomId);
  const sent = uploads(a, roomId);
  // From the keyboard: Attach, then the browser's file chooser.
  const chooser = a.waitForEvent('filechooser');
  await a.getByRole('button', { name: 'Attach' }).focus();
  await a.keyboard.press('Enter');
  await (await chooser).setFiles([
    { name: 'dot.png', mimeType: 'image/png', buffer: PNG },
    { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('bring bread\n'.repeat(100)) },
  ]);
  const pending = a.getByRole('list', { name: 'Files to send' });
  await expect(pending.getByRole('listitem')).toHaveCount(2);
  await expect(pending.getByText('ready')).toHaveCount(2);
  await expect(pending.locator('progress').first()).toHaveAttribute('value', String(PNG.length));
  expect(await seriousViolations(a)).toEqual([]);
  const box = a.getByRole('textbox', { name: 'Message' });
  await box.fill('the plan, and a dot');
  await box.press('Enter');
  await expect(pending.getByRole('listitem')).toHaveCount(0);
  expect(sent).toHaveLength(2);
  for (const page of [a, b]) {
    const row = messageRow(page, 'the plan, and a dot');
    const files = row.getByRole('list', { name: 'Files' });
    // The picture, from a blob: URL (no key in any URL), opens whole on a click.
    const img = files.getByRole('img', { name: 'dot.png' });
    await expect(img).toHaveAttribute('src', /^blob:/);
    await expect(img).toHaveAttribute('loading', 'lazy');
    await expect.poll(() => img.evaluate((element) => element.naturalWidth)).toBe(1);
    await expect(files.getByRole('link')).toHaveAttribute('href', /^blob:/);
    // The document, by its name and size.
    await expect(files.getByRole('button', { name: /notes\.txt/ })).toContainText('1.2 KB');
  }
  // Saving the document gives its bytes.
  const saved = b.waitForEvent('download');
  await messageRow(b, 'the plan, and a dot').getByRole('button', { name: /notes\.txt/ }).click();
  const download = await saved;
  expect(download.suggestedFilename()).toBe('notes.txt');
  expect(await seriousViolations(b)).toEqual([]);
});

test('a file dropped on the box or pasted into it is attached; one over the limit is refused before it is sent', async ({ person, api }) => {
  const { ana, roomId } = await api.twoMembers('drop room');
  const page = await inRoom(person, ana, roomId);
  const sent = uploads(page, roomId);
  const box = page.getByRole('textbox', { name: 'Message' });
  const pending = page.getByRole('list', { name: 'Files to send' });
  // A drop on the box.
  await page.locator('form.composer').evaluate((form) => {
    const data = new DataTransfer();
    data.items.add(new File(['dropped words'], 'dropped.txt', { type: 'text/plain' }));
    form.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
  });
  await expect(pending.getByText('dropped.txt')).toBeVisible();
  // A paste into it.
  await box.evaluate((textarea) => {
    const data = new DataTransfer();
    data.items.add(new File(['pasted words'], 'pasted.txt', { type: 'text/plain' }));
    textarea.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
  });
  await expect(pending.getByText('pasted.txt')).toBeVisible();
  await expect(pending.getByText('ready')).toHaveCount(2);
  // Over the limit (10 MiB as served here): refused at once, nothing sent.
  const before = sent.length;
  await page.locator('form.composer').evaluate((form) => {
    const data = new DataTransfer();
    data.items.add(new File([new Uint8Array(10 * 1024 * 1024 + 1)], 'huge.bin'));
    form.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
  });
  await expect(page.getByRole('alert').filter({ hasText: 'huge.bin' })).toContainText('at most 10.5 MB');
  expect(sent.length).toBe(before);
  await expect(pending.getByRole('listitem')).toHaveCount(2);
  // Files alone make a message: it says what they are.
  await box.press('Enter');
  const row = messageRow(page, 'dropped.txt, pasted.txt');
  await expect(row.getByRole('list', { name: 'Files' }).getByRole('button')).toHaveCount(2);
  expect(await seriousViolations(page)).toEqual([]);
});

test('a reply in a thread carries files too: Attach beside its box, shown in the thread in both pages', async ({ person, api }) => {
  const { ana, bo, roomId } = await api.twoMembers('thread files');
  const root = await api.post(ana, roomId, 'the recipe?');
  await api.call('POST', `/room/${roomId}/messages`, { key: bo.key, body: { text: 'coming', thread: root.message_id } });
  const a = await inRoom(person, ana, roomId);
  const b = await inRoom(person, bo, roomId);
  const sent = uploads(a, roomId);
  const panel = (page) => page.getByRole('complementary', { name: 'Thread' });
  for (const page of [a, b]) await messageRow(page, 'the recipe?').getByRole('button', { name: /in its thread/ }).click();
  const chooser = a.waitForEvent('filechooser');
  await panel(a).getByRole('button', { name: 'Attach to reply' }).click();
  await (await chooser).setFiles([{ name: 'recipe.txt', mimeType: 'text/plain', buffer: Buffer.from('flour, water, salt\n') }]);
  const pending = panel(a).getByRole('list', { name: 'Files to send in the thread' });
  await expect(pending.getByText('ready')).toHaveCount(1);
  // The room's own box has nothing to send.
  await expect(a.getByRole('list', { name: 'Files to send', exact: true })).toBeHidden();
  // Files alone make a reply that names them.
  await panel(a).getByRole('textbox', { name: 'Reply in thread' }).press('Enter');
  await expect(pending.getByRole('listitem')).toHaveCount(0);
  expect(sent).toHaveLength(1);
  for (const page of [a, b]) {
    const reply = panel(page).getByRole('list', { name: 'Replies' }).getByRole('listitem').filter({ hasText: 'recipe.txt' });
    await expect(reply.getByRole('list', { name: 'Files' }).getByRole('button', { name: /recipe\.txt/ })).toBeVisible();
  }
  expect(await seriousViolations(a)).toEqual([]);
});
