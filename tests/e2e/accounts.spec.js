// Signing up, logging in and out, sessions that end, and the account page.
const { test, expect, PASSWORD, signUpInPage, logInInPage, logIn, openRoom } = require('./fixtures.js');

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;
const sessionKey = (page) => page.evaluate(() => JSON.parse(sessionStorage.getItem('chatrooms.session')).key);

test('sign-up takes a handle and welcomes with it; log out, then log in with it in any case', async ({ person }) => {
  const page = await person();
  const handle = await signUpInPage(page, 'dora');
  await expect(page.getByRole('heading', { name: 'Welcome, dora' })).toBeVisible();
  await expect(page.locator('.welcome')).toContainText(`You log in as @${handle} with your password`);
  // No user id anywhere on the welcome page, nor in the header.
  expect(await page.locator('main').textContent()).not.toMatch(UUID);
  await expect(page.getByRole('banner')).toContainText(`dora @${handle}`);
  // The key lives in sessionStorage, nowhere else.
  expect(await sessionKey(page)).toMatch(/^[0-9a-f]{64}$/);
  expect(await page.evaluate(() => JSON.stringify(localStorage))).not.toContain(await sessionKey(page));

  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page.getByRole('heading', { name: 'Log in' })).toBeVisible();
  await expect(page.getByText('You are logged out.')).toBeVisible();
  expect(await page.evaluate(() => sessionStorage.getItem('chatrooms.session'))).toBeNull();

  // The login form offers the handle last used on this device; the password is what is left.
  await expect(page.getByLabel('Handle or user id')).toHaveValue(handle);
  await expect(page.getByLabel('Password')).toBeFocused();
  await page.getByLabel('Handle or user id').fill(`@${handle.toUpperCase()}`);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByLabel('Password').press('Enter');
  await expect(page.getByRole('heading', { name: 'My rooms' })).toBeVisible();
  await expect(page.getByRole('banner')).toContainText(`dora @${handle}`);
});

test('a handle someone has is refused at sign-up, with the reason in the page', async ({ person, api }) => {
  const taken = await api.signUp('first');
  const page = await person();
  await page.goto('/#/signup');
  await page.getByLabel('Username').fill('second');
  await page.getByLabel('Handle').fill(taken.handle);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('alert')).toHaveText('This handle is taken.');
});

test('an account without a handle logs in by user id, and chooses a handle on its account page', async ({ person, api }) => {
  const user = await api.signUp('olga', { handle: null });
  const page = await person({ permissions: ['clipboard-read', 'clipboard-write'] });
  await logInInPage(page, user.id, user.password);
  await expect(page.getByRole('heading', { name: 'My rooms' })).toBeVisible();
  await page.getByRole('link', { name: 'Account' }).click();
  // Its own account page is the one place a user id shows, with a copy button.
  await expect(page.getByLabel('Your user id')).toHaveValue(user.id);
  await page.getByRole('button', { name: 'Copy' }).click();
  await expect(page.getByText('Copied to the clipboard.')).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(user.id);

  const form = page.getByRole('form', { name: 'Your handle' });
  await expect(form).toContainText('You have no handle yet');
  const handle = `olga.${Math.random().toString(36).slice(2, 8)}`;
  await form.getByLabel('New handle').fill(handle.toUpperCase());
  await form.getByRole('button', { name: 'Change handle' }).click();
  await expect(form.getByRole('status')).toHaveText(`Your handle is now @${handle}.`);
  await expect(form).toContainText(`You log in as @${handle}`);
  await expect(page.getByRole('banner')).toContainText(`olga @${handle}`);
  // And logs in with it from now on.
  await page.getByRole('button', { name: 'Log out' }).click();
  await logInInPage(page, handle, user.password);
  await expect(page.getByRole('heading', { name: 'My rooms' })).toBeVisible();
});

test('a wrong password shows the error, and repeated ones say when to come back', async ({ person, api }) => {
  const user = await api.signUp('eve');
  const page = await person();
  await logInInPage(page, user.handle, 'not the password');
  await expect(page.getByRole('alert')).toHaveText('Wrong handle or password.');
  await expect(page.getByRole('heading', { name: 'Log in' })).toBeVisible();
  // The throttle: 5 free attempts from one network, then each waits twice as long as the last
  // (from 1 s): a 429 with Retry-After, which the page turns into when to come back.
  const alert = page.getByRole('alert');
  for (let attempt = 2; attempt <= 12 && !/^Too many/.test((await alert.textContent()) ?? ''); attempt += 1) {
    await page.getByLabel('Password').fill(`wrong ${attempt}`);
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(page.getByRole('button', { name: 'Log in' })).toBeEnabled();
  }
  await expect(alert).toHaveText(/^Too many password attempts: try again later\. Try again in \d+ seconds?\.$/);
});

test('sign-up errors show in the page', async ({ person }) => {
  const page = await person();
  await page.goto('/#/signup');
  await page.getByLabel('Username').fill('frank');
  await page.getByLabel('Handle').fill(`frank.${Math.random().toString(36).slice(2, 8)}`);
  // Bypass the browser's own minlength check to see the API's answer.
  await page.getByLabel('Password').evaluate((input) => input.removeAttribute('minlength'));
  await page.getByLabel('Password').fill('short');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('alert')).toHaveText('Password must be 8 to 1024 characters.');
});

test('a revoked key sends the person to log in, then back to where they were', async ({ person, api }) => {
  const user = await api.signUp('gus');
  const roomId = await api.createRoom(user, 'gus room');
  const page = await person();
  await logIn(page, user);
  await openRoom(page, roomId);
  // The key is revoked elsewhere (here: through the API). The room's socket is closed (4001).
  await api.call('DELETE', '/token', { key: await sessionKey(page), body: { user_id: user.id } });
  await expect(page.getByRole('heading', { name: 'Log in' })).toBeVisible();
  await expect(page.getByText('Your session has ended (it expired or was revoked). Please log in again.')).toBeVisible();
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('heading', { name: 'gus room', level: 1 })).toBeVisible();
});

test('a page opened without a session asks to log in first', async ({ person, api }) => {
  const user = await api.signUp('hal');
  const page = await person();
  await page.goto('/#/account');
  await expect(page.getByRole('heading', { name: 'Log in' })).toBeVisible();
  await page.getByLabel('Handle or user id').fill(user.handle);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('heading', { name: 'Your account', level: 1 })).toBeVisible();
});

test('change the password: other sessions end, this one stays', async ({ person, api }) => {
  const user = await api.signUp('ida');
  const page = await person();
  await logIn(page, user);
  const other = await person();
  await logIn(other, user);

  await page.getByRole('link', { name: 'Account' }).click();
  await expect(page.getByLabel('Your user id')).toHaveValue(user.id);
  await page.getByLabel('Current password').fill('not my password');
  await page.getByLabel('New password', { exact: true }).fill('a better passphrase');
  await page.getByLabel('New password again').fill('a better passphrase');
  await page.getByRole('button', { name: 'Change password' }).click();
  await expect(page.getByRole('alert')).toHaveText('Wrong password.');

  await page.getByLabel('Current password').fill(user.password);
  await page.getByLabel('New password again').fill('a different one');
  await page.getByRole('button', { name: 'Change password' }).click();
  await expect(page.getByRole('alert')).toHaveText('The new password and its repetition differ.');

  await page.getByLabel('New password again').fill('a better passphrase');
  await page.getByRole('button', { name: 'Change password' }).click();
  await expect(page.getByText('Your password was changed, and your other sessions were logged out.')).toBeVisible();

  // The other session is dead: its inbox socket (open on My rooms) is closed with 4001, which
  // sends it to log in at once, with no click.
  await expect(other.getByRole('heading', { name: 'Log in' })).toBeVisible();
  await expect(other.getByText('Your session has ended')).toBeVisible();
  await other.getByLabel('Password').fill(user.password);
  await other.getByRole('button', { name: 'Log in' }).click();
  await expect(other.getByRole('alert')).toHaveText('Wrong handle or password.');
  await other.getByLabel('Password').fill('a better passphrase');
  await other.getByRole('button', { name: 'Log in' }).click();
  // Back where the session ended.
  await expect(other.getByRole('heading', { name: 'My rooms', level: 1 })).toBeVisible();
});

test('delete the account, after a confirmation', async ({ person, api }) => {
  const user = await api.signUp('jo');
  const page = await person();
  await logIn(page, user);
  await page.getByRole('link', { name: 'Account' }).click();
  const form = page.getByRole('form', { name: 'Delete your account' });
  await form.getByLabel('Password').fill(user.password);
  await form.getByRole('button', { name: 'Delete my account' }).click();
  // Cancel first: nothing happens.
  await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByRole('dialog')).toHaveCount(0);
  await expect(page.getByRole('heading', { name: 'Your account', level: 1 })).toBeVisible();

  await form.getByRole('button', { name: 'Delete my account' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Delete my account' }).click();
  await expect(page.getByRole('heading', { name: 'Log in' })).toBeVisible();
  await expect(page.getByText('Your account was deleted.')).toBeVisible();
  await expect(page.getByLabel('Handle or user id')).toHaveValue('');
  await logInInPage(page, user.handle, user.password);
  await expect(page.getByRole('alert')).toHaveText('Wrong handle or password.');
});
