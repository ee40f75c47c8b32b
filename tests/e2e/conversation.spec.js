// The main scenario: two people, each in a browser context of their own.
const { test, expect, signUpInPage, openRoom, postInPage, memberRow, history, unique } = require('./fixtures.js');

test('two people talk in a closed room until the admin kicks one out', async ({ person }) => {
  const ana = await person();
  const bo = await person();

  await signUpInPage(ana, 'ana');
  const boHandle = await signUpInPage(bo, 'bo');

  // Ana creates a closed room and invites Bo by his handle.
  const name = unique('secret plans');
  await ana.getByRole('link', { name: 'Continue to my rooms' }).click();
  await ana.getByLabel('Name').fill(name);
  await ana.getByRole('radio', { name: /^Closed/ }).check();
  await ana.getByRole('button', { name: 'Create room' }).click();
  await expect(ana.getByRole('heading', { name, level: 1 })).toBeVisible();
  await expect(ana.locator('.room-meta')).toContainText('Closed room · 1 member');
  await ana.getByLabel('Handle').fill(`@${boHandle}`);
  await ana.getByRole('button', { name: 'Invite' }).click();
  await expect(ana.getByRole('status').filter({ hasText: `@${boHandle} is invited: they join when they accept.` })).toBeVisible();
  await expect(ana.locator('.room-meta')).toContainText('1 member');

  // Bo finds the invitation in "My rooms", and accepts.
  await bo.getByRole('link', { name: 'Continue to my rooms' }).click();
  const invitations = bo.getByRole('list', { name: 'Invitations' });
  await expect(invitations.getByRole('listitem')).toContainText(name);
  await expect(invitations.getByRole('listitem')).toContainText('invited by ana');
  await invitations.getByRole('button', { name: `Accept ${name}` }).click();
  await expect(bo.getByRole('heading', { name, level: 1 })).toBeVisible();
  await expect(memberRow(ana, 'bo')).toBeVisible();
  await expect(ana.locator('.room-meta')).toContainText('2 members');

  // Bo is in: the room is among his rooms, and he can write.
  await expect(bo.getByRole('textbox', { name: 'Message' })).toBeVisible();
  await bo.getByRole('link', { name: 'My rooms' }).click();
  await expect(bo.getByRole('list', { name: 'My rooms' }).getByRole('link', { name })).toBeVisible();
  await expect(bo.getByRole('list', { name: 'Invitations' })).toBeHidden();
  await bo.getByRole('list', { name: 'My rooms' }).getByRole('link', { name }).click();
  await expect(bo.getByRole('heading', { name, level: 1 })).toBeVisible();

  // Each sees the other's message within 3 seconds of the API accepting it, without reloading.
  await postInPage(ana, 'hi bo, welcome');
  await expect(history(bo).getByText('hi bo, welcome')).toBeVisible();
  await postInPage(bo, 'hi ana, thanks');
  await expect(history(ana).getByText('hi ana, thanks')).toBeVisible();
  // Both see the whole conversation, in order, once.
  for (const page of [ana, bo]) {
    await expect(history(page).locator('.msg .text')).toHaveText(['hi bo, welcome', 'hi ana, thanks']);
  }

  // Ana kicks Bo; Bo's page says so without a reload, and the room is gone from his list.
  await memberRow(ana, 'bo').getByRole('button', { name: 'Kick' }).click();
  await expect(ana.getByRole('status').filter({ hasText: 'was removed from the room' })).toBeVisible();
  await expect(memberRow(ana, 'bo')).toHaveCount(0);
  await expect(bo.getByRole('alert')).toHaveText(/You no longer have access to this room/);
  await expect(bo.getByRole('textbox', { name: 'Message' })).toHaveCount(0);
  await bo.getByRole('link', { name: 'Back to my rooms' }).click();
  await expect(bo.getByText('You are not in any room yet.')).toBeVisible();
  // Opening it again by its address gives the same clear answer.
  await bo.goBack();
  await expect(bo.getByRole('alert')).toHaveText(/does not exist, or it is closed and you are not a member/);
});
