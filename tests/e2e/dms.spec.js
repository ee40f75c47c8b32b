// Direct messages, with consent: started from a member list or by handle, they wait in the other
// person's "Message requests" with their first message until accepted (then both talk, live)
// or declined (then the starter is told why their messages are refused).
const { test, expect, logIn, history, postInPage, memberRow, openRoom, seriousViolations } = require('./fixtures.js');

const requests = (page) => page.getByRole('list', { name: 'Message requests' });

test('message someone from a member list; they accept the request and both talk live', async ({ person, api }) => {
  const { ana, bo, roomId } = await api.twoMembers('hall');

  const page = await person();
  await logIn(page, ana);
  await openRoom(page, roomId);
  await memberRow(page, bo.label).getByRole('button', { name: `Message ${bo.label}` }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(`Direct message with ${bo.label}`);
  await expect(page.locator('.room-meta')).toContainText('Waiting for the other person');
  // Nobody runs a DM: no settings, no admins, no moderation.
  await expect(page.getByRole('heading', { name: 'Room settings' })).toHaveCount(0);
  await expect(page.getByRole('list', { name: 'Admins' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: /^(Kick|Ban|Make admin|Message)/ })).toHaveCount(0);
  await postInPage(page, 'hi bo, ana here');
  expect(await seriousViolations(page)).toEqual([]);

  const other = await person();
  await logIn(other, bo);
  const request = requests(other).getByRole('listitem');
  await expect(request).toContainText(`${ana.label} wants to message you`);
  // The first message reaches the request once the room has told it (right after the post).
  await expect(request).toContainText('hi bo, ana here');
  expect(await seriousViolations(other)).toEqual([]);
  await request.getByRole('button', { name: `Accept the message from ${ana.label}` }).click();
  await expect(other.getByRole('heading', { level: 1 })).toHaveText(`Direct message with ${ana.label}`);
  await expect(history(other).getByText('hi bo, ana here')).toBeVisible();
  await postInPage(other, 'hello ana');
  await expect(history(page).getByText('hello ana')).toBeVisible();
  await expect(page.locator('.room-meta')).toContainText('You both are in it');

  // It is one of their rooms now, named for the other person.
  await other.getByRole('link', { name: 'My rooms' }).click();
  await expect(other.getByRole('link', { name: `Direct message with ${ana.label}` })).toBeVisible();
  await expect(other.getByRole('heading', { name: 'Message requests' })).toBeHidden();
});

test('message someone by handle; a declined request stops the starter, who is told why', async ({ person, api }) => {
  const cy = await api.signUp('cy');
  const di = await api.signUp('di');

  const page = await person();
  await logIn(page, cy);
  await page.getByLabel('Their handle').fill(`@${di.handle}`);
  await page.getByRole('button', { name: 'Open direct message' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(`Direct message with ${di.label}`);
  await postInPage(page, 'can we talk?');

  const other = await person();
  await logIn(other, di);
  const request = requests(other).getByRole('listitem');
  await request.getByRole('button', { name: `Decline the message from ${cy.label}` }).click();
  await expect(other.getByText(`You declined the message from ${cy.label}.`)).toBeVisible();
  await expect(other.getByRole('heading', { name: 'Message requests' })).toBeHidden();

  // The starter's next message is refused, and the page says why.
  const box = page.getByRole('textbox', { name: 'Message' });
  await box.fill('please?');
  await box.press('Enter');
  await expect(page.getByText(/the other person declined, left or blocked you/i)).toBeVisible();

  // An unknown handle is a readable error.
  await page.getByRole('link', { name: 'My rooms' }).click();
  await page.getByLabel('Their handle').fill('nobody.has.this');
  await page.getByRole('button', { name: 'Open direct message' }).click();
  await expect(page.getByRole('form', { name: 'Message someone' }).getByRole('alert')).toHaveText('Nobody has the handle @nobody.has.this.');
});
