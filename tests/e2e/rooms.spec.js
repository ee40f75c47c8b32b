// Finding, joining and leaving rooms, and running one: admins, bans, settings, hand-over, deletion.
const { test, expect, logIn, openRoom, postInPage, memberRow, history, unique } = require('./fixtures.js');

const meta = (page) => page.locator('.room-meta');
const statusSays = (page, text) => expect(page.getByRole('status').filter({ hasText: text })).toBeVisible();

test('the directory lists open rooms, searches by name and pages', async ({ person, api }) => {
  const owner = await api.signUp('mo');
  const word = unique('zebra');
  for (let i = 1; i <= 22; i += 1) await api.createRoom(owner, `${word} ${i}`);
  await api.createRoom(owner, `${word} hidden`, false);
  await api.createRoom(owner, `${word}-special Ünïcode`);

  const page = await person();
  await logIn(page, owner);
  await page.getByRole('link', { name: 'Directory' }).click();
  const results = page.getByRole('list', { name: 'Open rooms' }).getByRole('listitem');
  await page.getByLabel('Search by name').fill(word.toUpperCase());
  await expect(page.getByText('1–20 of 23.')).toBeVisible();
  await expect(results).toHaveCount(20);
  await page.getByRole('button', { name: 'Next' }).click();
  await expect(page.getByText('21–23 of 23.')).toBeVisible();
  await expect(results).toHaveCount(3);
  await expect(page.getByRole('button', { name: 'Next' })).toBeDisabled();
  await page.getByRole('button', { name: 'Previous' }).click();
  await expect(results).toHaveCount(20);
  // Closed rooms are never listed; search is a case-insensitive substring, in any script.
  await expect(page.getByRole('list', { name: 'Open rooms' }).getByText(`${word} hidden`)).toHaveCount(0);
  await page.getByLabel('Search by name').fill('ünïCODE');
  await page.getByLabel('Search by name').press('Enter');
  await expect(results).toHaveCount(1);
  await page.getByLabel('Search by name').fill(unique('nothing-like-it'));
  await expect(page.getByText('No open room matches.')).toBeVisible();
});

test('join an open room from the directory, write, and leave', async ({ person, api }) => {
  const owner = await api.signUp('nia');
  const name = unique('garden');
  const roomId = await api.createRoom(owner, name);
  await api.post(owner, roomId, 'anyone here?');
  const visitor = await api.signUp('oz');

  const page = await person();
  await logIn(page, visitor);
  await page.getByRole('link', { name: 'Directory' }).click();
  await page.getByLabel('Search by name').fill(name);
  await page.getByRole('link', { name }).click();
  // An open room can be read before joining.
  await expect(history(page).getByText('anyone here?')).toBeVisible();
  await expect(meta(page)).toContainText('you are not a member');
  await expect(page.getByRole('textbox', { name: 'Message' })).toHaveCount(0);
  await page.getByRole('button', { name: 'Join room' }).first().click();
  await expect(meta(page)).toContainText('2 members');
  await expect(meta(page)).toContainText('you are a member');
  await postInPage(page, 'I am!');
  await expect(history(page).getByText('I am!')).toBeVisible();
  await page.getByRole('link', { name: 'My rooms' }).click();
  await expect(page.getByRole('link', { name })).toBeVisible();
  await page.getByRole('link', { name }).click();
  await page.getByRole('button', { name: 'Leave room' }).click();
  await expect(meta(page)).toContainText('1 member');
  await expect(page.getByRole('button', { name: 'Join room' }).first()).toBeVisible();
});

test('admins invite people, grant and revoke admin, ban and unban', async ({ person, api }) => {
  const owner = await api.signUp('pia');
  const member = await api.signUp('quinn');
  const outsider = await api.signUp('rex');
  const roomId = await api.createRoom(owner, unique('club'), false);
  await api.add(owner, roomId, member);

  const page = await person();
  await logIn(page, owner);
  await openRoom(page, roomId);
  await expect(meta(page)).toContainText('you own it');

  // Grant, then revoke admin.
  await memberRow(page, 'quinn').getByRole('button', { name: 'Make admin quinn' }).click();
  await statusSays(page, `${member.label} is now an admin.`);
  await expect(memberRow(page, 'quinn').locator('.badge.admin')).toBeVisible();
  await expect(page.getByRole('list', { name: 'Admins' })).toContainText('quinn');
  await memberRow(page, 'quinn').getByRole('button', { name: 'Revoke admin' }).click();
  await statusSays(page, `${member.label} is no longer an admin.`);
  await expect(page.getByRole('list', { name: 'Admins' })).not.toContainText('quinn');

  // Ban an outsider by handle (picked from what typing its start suggests), then unban; a banned
  // person cannot be added.
  await page.getByLabel('Handle').fill(outsider.handle.slice(0, 5));
  await expect(page.locator('datalist option').first()).toHaveAttribute('value', `@${outsider.handle}`);
  await expect(page.locator('datalist option').first()).toHaveText(outsider.label);
  await page.getByLabel('Handle').fill(`@${outsider.handle}`);
  await page.getByRole('button', { name: 'Ban', exact: true }).click();
  await statusSays(page, `@${outsider.handle} is banned.`);
  const banned = page.getByRole('list', { name: 'Banned' });
  await expect(banned).toContainText('rex');
  await page.getByLabel('Handle').fill(outsider.handle.toUpperCase());
  await page.getByRole('button', { name: 'Invite', exact: true }).click();
  await expect(page.getByRole('alert')).toHaveText('Banned from this room.');
  await banned.getByRole('button', { name: 'Unban rex' }).click();
  await statusSays(page, 'Unbanned.');
  await expect(page.getByText('Nobody is banned.')).toBeVisible();

  // Ban a member: they leave the members list.
  await memberRow(page, 'quinn').getByRole('button', { name: 'Ban quinn' }).click();
  await statusSays(page, `${member.label} is banned.`);
  await expect(memberRow(page, 'quinn')).toHaveCount(0);
  await expect(banned).toContainText('quinn');

  // An unknown handle is a readable error.
  await page.getByLabel('Handle').fill('nobody.has.this');
  await page.getByRole('button', { name: 'Invite', exact: true }).click();
  await expect(page.getByRole('alert')).toHaveText('Nobody has the handle @nobody.has.this.');
});

test('a plain member sees no moderation; a banned person cannot rejoin', async ({ person, api }) => {
  const owner = await api.signUp('sam');
  const member = await api.signUp('tia');
  const roomId = await api.createRoom(owner, unique('plaza'));
  await api.join(member, roomId);

  const page = await person();
  await logIn(page, member);
  await openRoom(page, roomId);
  await expect(meta(page)).toContainText('you are a member');
  await expect(page.getByRole('button', { name: /^(Kick|Ban|Make admin)/ })).toHaveCount(0);
  await expect(page.getByRole('heading', { name: 'Room settings' })).toHaveCount(0);
  await expect(page.getByLabel('Handle')).toHaveCount(0);

  // Banned from an open room: the page says so at once (the socket's member_left); they can
  // still read it, but not write, and joining says why.
  await expect(page.getByRole('list', { name: 'Here now' })).toContainText('tia');
  await api.call('PUT', `/room/${roomId}/bans/${member.id}`, { key: owner.key });
  await expect(page.getByText('You were banned from this room.')).toBeVisible();
  await expect(page.getByRole('textbox', { name: 'Message' })).toHaveCount(0);
  await expect(meta(page)).toContainText('you are not a member');
  await page.getByRole('button', { name: 'Join room' }).first().click();
  await expect(page.getByRole('alert')).toHaveText('Banned from this room.');
});

test('the owner renames, closes, hands over; the new owner deletes the room', async ({ person, api }) => {
  const owner = await api.signUp('uma');
  const heir = await api.signUp('vic');
  const roomId = await api.createRoom(owner, unique('attic'));
  await api.join(heir, roomId);

  const page = await person();
  await logIn(page, owner);
  await openRoom(page, roomId);
  const settings = page.getByRole('region', { name: 'Room settings' });
  const newName = unique('the loft');
  await settings.getByLabel('Name').fill(newName);
  await settings.getByRole('radio', { name: /^Closed/ }).check();
  await settings.getByRole('button', { name: 'Save settings' }).click();
  await statusSays(page, 'Settings saved.');
  await expect(page.getByRole('heading', { name: newName, level: 1 })).toBeVisible();
  await expect(meta(page)).toContainText('Closed room');
  await expect(page).toHaveTitle(`\u2068${newName}\u2069 · chatrooms`);

  // The owner cannot leave; the hand-over asks first.
  await expect(page.getByRole('button', { name: 'Leave room' })).toHaveCount(0);
  await memberRow(page, 'vic').getByRole('button', { name: 'Make owner' }).click();
  await expect(page.getByRole('dialog')).toContainText(`Hand the room over to ${heir.label}?`);
  await page.getByRole('dialog').getByRole('button', { name: 'Make owner' }).click();
  await statusSays(page, `${heir.label} now owns the room.`);
  await expect(meta(page)).toContainText('you are an admin');
  // An admin may keep the room closed, but opening it (publishing its history) is the owner's.
  await expect(settings.getByRole('radio', { name: /^Open/ })).toBeDisabled();
  await expect(settings).toContainText('Only the owner can open a closed room.');
  await expect(memberRow(page, 'vic').locator('.badge.owner')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Delete room' })).toHaveCount(0);

  // Vic deletes it; Uma, still looking at it, is told it is gone.
  const vic = await person();
  await logIn(vic, heir);
  await openRoom(vic, roomId);
  await expect(meta(vic)).toContainText('you own it');
  await vic.getByRole('button', { name: 'Delete room' }).click();
  await vic.getByRole('dialog').getByRole('button', { name: 'Delete room' }).click();
  await expect(vic.getByRole('heading', { name: 'My rooms' })).toBeVisible();
  await expect(vic.getByText(`The room “${newName}” was deleted.`)).toBeVisible();
  await expect(page.getByRole('alert')).toHaveText(/You no longer have access to this room/);
});
