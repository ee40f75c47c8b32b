// Every main view: no serious or critical axe violations, no sideways scrolling from a 360 px
// phone to a desktop, and a screenshot at 1280 and 390 px (test-results/screenshots/). And the
// app is usable with the keyboard alone, with focus always visible.
const path = require('node:path');
const { test, expect, logIn, openRoom, history, signUpInPage, unique, seriousViolations } = require('./fixtures.js');

const SCREENSHOTS = path.join(__dirname, '../../test-results/screenshots');

/** The checks every view gets, and its screenshot at the widths the README shows. */
async function check(page, view, width) {
  expect(await seriousViolations(page), `axe on ${view} at ${width}px`).toEqual([]);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow, `${view} scrolls sideways at ${width}px`).toBeLessThanOrEqual(0);
  if (width !== 360) {
    // What a person sees first: the window, not the whole scrolled page.
    await page.screenshot({ path: path.join(SCREENSHOTS, `${view}-${width}.png`) });
  }
}

/** A room worth looking at: two people talking, a third member, one admin besides the owner. */
async function sceneRoom(api) {
  const ana = await api.signUp('ana');
  const bo = await api.signUp('bo');
  const cy = await api.signUp('cy');
  const roomId = await api.createRoom(ana, 'Lunch plans');
  await api.join(bo, roomId);
  await api.join(cy, roomId);
  await api.call('POST', `/room/${roomId}/admins`, { key: ana.key, body: { user_id: bo.id } });
  const lines = [
    [ana, 'Who is in for lunch on Friday?'],
    [bo, 'Me! The noodle place again?'],
    [cy, 'Count me in. 12:30 works for me.'],
    [ana, 'Noodles at 12:30 then. I will book a table for three.'],
    [bo, 'Perfect, see you there.'],
  ];
  for (const [who, text] of lines) await api.post(who, roomId, text);
  await api.createRoom(ana, 'Book club', false);
  await api.createRoom(ana, 'Board games');
  return { ana, roomId };
}

for (const width of [1280, 390, 360]) {
  test(`every main view passes axe and fits at ${width}px`, async ({ person, api }) => {
    const page = await person({ width, height: width > 800 ? 900 : 844 });

    await page.goto('/#/login');
    await expect(page.getByRole('heading', { name: 'Log in' })).toBeVisible();
    await check(page, 'login', width);

    // An error shown in the page must pass too.
    await page.getByLabel('Handle or user id').fill('00000000-0000-4000-8000-000000000000');
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(page.getByRole('alert')).toBeVisible();
    await check(page, 'login-error', width);

    await page.goto('/#/signup');
    await expect(page.getByRole('heading', { name: 'Sign up' })).toBeVisible();
    await check(page, 'signup', width);
    await signUpInPage(page, unique('newcomer'));
    await check(page, 'welcome', width);
    await page.getByRole('button', { name: 'Log out' }).click();

    const { ana, roomId } = await sceneRoom(api);
    await logIn(page, ana);
    await expect(page.getByRole('link', { name: 'Lunch plans' })).toBeVisible();
    await check(page, 'my-rooms', width);

    await page.getByRole('link', { name: 'Directory' }).click();
    await page.getByLabel('Search by name').fill('Board games');
    await expect(page.getByRole('link', { name: 'Board games' }).first()).toBeVisible();
    await check(page, 'directory', width);

    await openRoom(page, roomId);
    await expect(history(page).locator('.msg')).toHaveCount(5);
    await expect(history(page).locator('.msg .name').first()).toHaveText('ana');
    await page.getByRole('textbox', { name: 'Message' }).fill('See you there!');
    await check(page, 'room', width);
    // The history fills the window, with the box to write in at its bottom.
    const box = await page.getByRole('textbox', { name: 'Message' }).boundingBox();
    expect(page.viewportSize().height - (box.y + box.height)).toBeLessThan(120);

    // Where they do not fit beside the conversation, the people and settings take its place.
    const details = page.getByRole('button', { name: 'People and settings' });
    if (width < 1200) {
      await expect(page.getByRole('list', { name: 'Members' })).toBeHidden();
      await details.click();
      await expect(details).toHaveAttribute('aria-expanded', 'true');
      await expect(history(page)).toBeHidden();
      await check(page, 'room-details', width);
    } else {
      await expect(details).toBeHidden();
    }
    await expect(page.getByRole('list', { name: 'Members' })).toContainText('cy');
    await expect(page.getByRole('list', { name: 'Admins' })).toContainText('bo');
    await page.getByRole('button', { name: 'Delete room' }).click();
    await expect(page.getByRole('dialog')).toBeVisible();
    await check(page, 'confirm', width);
    await page.keyboard.press('Escape');
    await expect(page.getByRole('dialog')).toHaveCount(0);

    await page.getByRole('link', { name: 'Account' }).click();
    await expect(page.getByRole('heading', { name: 'Your account', level: 1 })).toBeVisible();
    await check(page, 'account', width);
  });
}

/**
 * Presses Tab (Shift+Tab with `back`) until `target` has focus, at most `limit` times, and
 * checks that every element on the way shows its focus.
 */
async function tabTo(page, target, { limit = 40, back = false } = {}) {
  for (let presses = 0; presses < limit; presses += 1) {
    await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
    const outline = await page.evaluate(() => {
      const element = document.activeElement;
      // Past the last element focus leaves the page for the browser's own controls.
      if (!element || element === document.body) return 'solid';
      return getComputedStyle(element).outlineStyle;
    });
    expect(outline, 'the focused element shows an outline').toBe('solid');
    if (await target.evaluate((element) => element === document.activeElement)) return;
  }
  throw new Error(`Tab never reached ${target}`);
}

test('a person can do it all with the keyboard alone', async ({ person }) => {
  const page = await person();
  await page.goto('/#/signup');
  await tabTo(page, page.getByLabel('Username'));
  await page.keyboard.type('keyboard kay');
  await tabTo(page, page.getByLabel('Handle'));
  await page.keyboard.type(`kay.${Math.random().toString(36).slice(2, 8)}`);
  await tabTo(page, page.getByLabel('Password'));
  await page.keyboard.type('correct horse battery');
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name: 'Welcome, keyboard kay' })).toBeFocused();
  await tabTo(page, page.getByRole('link', { name: 'Continue to my rooms' }));
  await page.keyboard.press('Enter');

  await expect(page.getByRole('heading', { name: 'My rooms' })).toBeFocused();
  await tabTo(page, page.getByLabel('Name'));
  await page.keyboard.type('typed, not clicked');
  await tabTo(page, page.getByRole('radio', { name: /^Open/ }));
  await page.keyboard.press('ArrowDown');
  await expect(page.getByRole('radio', { name: /^Closed/ })).toBeChecked();
  await tabTo(page, page.getByRole('button', { name: 'Create room' }));
  await page.keyboard.press('Enter');

  await expect(page.getByRole('heading', { name: 'typed, not clicked' })).toBeFocused();
  await tabTo(page, page.getByRole('textbox', { name: 'Message' }));
  await page.keyboard.type('first line');
  await page.keyboard.press('Shift+Enter');
  await page.keyboard.type('second line');
  await page.keyboard.press('Enter');
  await expect(history(page).locator('.msg .text')).toHaveText(['first line\nsecond line']);

  // A question in a dialog: Escape says no, and focus starts on the harmless answer.
  await tabTo(page, page.getByRole('button', { name: 'Delete room' }), { limit: 80 });
  await page.keyboard.press('Enter');
  await expect(page.getByRole('dialog').getByRole('button', { name: 'Cancel' })).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(page.getByRole('dialog')).toHaveCount(0);

  // On a fresh page load the skip link comes first, and leads into the main content.
  await page.goto('/#/account');
  await page.reload();
  await page.keyboard.press('Tab');
  await expect(page.getByRole('link', { name: 'Skip to content' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('main')).toBeFocused();
  await tabTo(page, page.getByRole('button', { name: 'Copy' }), { limit: 3 });
  await tabTo(page, page.getByRole('button', { name: 'Log out' }), { back: true });
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name: 'Log in' })).toBeVisible();
});

test('the live parts of a room pass axe, and editing and deleting work with the keyboard alone', async ({ person, api }) => {
  const { ana, bo, roomId } = await api.twoMembers('live parts');
  await api.post(bo, roomId, 'a message bo will see go');
  await api.post(ana, roomId, 'a message ana will edit');
  const other = await person();
  await logIn(other, bo);
  await openRoom(other, roomId);
  const page = await person();
  await logIn(page, ana);
  await openRoom(page, roomId);
  await expect(page.getByRole('list', { name: 'Here now' }).getByRole('listitem')).toHaveCount(2);
  // Typed over a few seconds, so that "typing" comes more than once and the line stays up while
  // a busy machine draws it (each keeps it 4 s).
  const typed = other.getByRole('textbox', { name: 'Message' }).pressSequentially('typing, a key at a time', { delay: 150 });
  await expect(page.locator('.chat .typing')).toHaveText('bo is typing…');
  await typed;
  await check(page, 'room-live', 1280);

  // Edit with the keyboard: Tab to the message's menu, Enter opens it on Edit, Enter, change
  // the text, Enter.
  const mine = history(page).locator('.msg').filter({ hasText: 'a message ana will edit' });
  await tabTo(page, mine.getByRole('button', { name: 'Actions' }), { limit: 60 });
  await page.keyboard.press('Enter');
  await expect(mine.getByRole('menuitem', { name: 'Reply', exact: true })).toBeFocused();
  await check(page, 'room-menu', 1280);
  // Down moves on, and wraps; Escape closes the menu back to its button.
  await page.keyboard.press('ArrowDown');
  await expect(mine.getByRole('menuitem', { name: 'Reply in thread' })).toBeFocused();
  await page.keyboard.press('ArrowDown');
  await expect(mine.getByRole('menuitem', { name: 'React' })).toBeFocused();
  await page.keyboard.press('ArrowDown');
  await expect(mine.getByRole('menuitem', { name: 'Edit' })).toBeFocused();
  await page.keyboard.press('End');
  await expect(mine.getByRole('menuitem', { name: 'Delete' })).toBeFocused();
  await page.keyboard.press('ArrowDown');
  await expect(mine.getByRole('menuitem', { name: 'Reply', exact: true })).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(mine.getByRole('menu')).toBeHidden();
  await expect(mine.getByRole('button', { name: 'Actions' })).toBeFocused();
  await expect(mine.getByRole('button', { name: 'Actions' })).toHaveAttribute('aria-expanded', 'false');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  await expect(mine.getByRole('menuitem', { name: 'Edit' })).toBeFocused();
  await page.keyboard.press('Enter');
  const box = page.getByRole('textbox', { name: 'Edit message' });
  await expect(box).toBeFocused();
  await check(page, 'room-edit', 1280);
  await page.keyboard.press('End');
  await page.keyboard.type(', and did');
  await page.keyboard.press('Enter');
  await expect(mine.locator('.text')).toHaveText('a message ana will edit, and did');
  await expect(mine.getByRole('button', { name: 'Actions' })).toBeFocused();

  // Delete Bo's, as the owner (his menu has Delete only): the dialog starts on Cancel; Tab,
  // Enter confirms.
  const his = history(page).locator('.msg').filter({ hasText: 'a message bo will see go' });
  await tabTo(page, his.getByRole('button', { name: 'Actions' }), { limit: 60, back: true });
  await page.keyboard.press('ArrowUp');
  await expect(his.getByRole('menuitem')).toHaveText(['Reply', 'Reply in thread', 'React', 'Delete']);
  await expect(his.getByRole('menuitem', { name: 'Delete' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('dialog').getByRole('button', { name: 'Cancel' })).toBeFocused();
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await expect(history(page).locator('.msg.deleted')).toHaveText('message deleted');
  await expect(history(other).locator('.msg.deleted')).toHaveText('message deleted');
  await check(page, 'room-deleted', 1280);
});
