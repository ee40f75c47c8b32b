// People: blocking someone from a room's member list hides their messages behind a Show
// button; the account page lists whom one blocked, and unblocks.
const { test, expect, logIn, openRoom, history, memberRow, seriousViolations } = require('./fixtures.js');

test('block someone from the member list: their messages hide behind Show; unblock from the account page', async ({ person, api }) => {
  const { ana, bo, roomId } = await api.twoMembers('hall');
  await api.post(bo, roomId, 'something rude');
  await api.post(ana, roomId, 'ana speaks');

  const page = await person();
  await logIn(page, ana);
  await openRoom(page, roomId);
  await expect(history(page).getByText('something rude')).toBeVisible();
  // No Block button for oneself.
  await expect(memberRow(page, ana.label).getByRole('button', { name: /^Block/ })).toHaveCount(0);

  await memberRow(page, bo.label).getByRole('button', { name: `Block ${bo.label}` }).click();
  await expect(page.getByRole('status').filter({ hasText: `${bo.label} is blocked: their messages are hidden.` })).toBeVisible();
  await expect(history(page).getByText('something rude')).toHaveCount(0);
  const hidden = history(page).locator('.msg.hidden-message');
  await expect(hidden).toHaveText(/A message from someone you blocked/);
  await expect(history(page).getByText('ana speaks')).toBeVisible();
  expect(await seriousViolations(page)).toEqual([]);
  // Shown on demand, that one message only.
  await hidden.getByRole('button', { name: 'Show' }).click();
  await expect(history(page).getByText('something rude')).toBeVisible();
  await expect(history(page).getByText('something rude')).toBeFocused();
  // What bo posts now hides too, live.
  await api.post(bo, roomId, 'more of the same');
  await expect(history(page).locator('.msg.hidden-message')).toHaveCount(1);
  await expect(history(page).getByText('more of the same')).toHaveCount(0);
  await expect(memberRow(page, bo.label).getByRole('button', { name: `Unblock ${bo.label}` })).toBeVisible();

  // The account page lists bo, and unblocks.
  await page.getByRole('link', { name: 'Account' }).click();
  const list = page.getByRole('list', { name: 'Blocked people' });
  await expect(list.getByRole('listitem')).toHaveText([new RegExp(`^${bo.label.replace('.', '\\.')}`)]);
  expect(await seriousViolations(page)).toEqual([]);
  await list.getByRole('button', { name: `Unblock ${bo.label}` }).click();
  await expect(page.getByText(`${bo.label} is unblocked.`)).toBeVisible();
  await expect(page.getByText('You have blocked nobody.')).toBeVisible();

  await openRoom(page, roomId);
  await expect(history(page).getByText('more of the same')).toBeVisible();
  await expect(history(page).locator('.msg.hidden-message')).toHaveCount(0);
});
