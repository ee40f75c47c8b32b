// The worker serves the web client beside the API: `/` is the app, under a strict CSP, and
// every API path is still the worker's.
const { test, expect } = require('./fixtures.js');

test('GET / serves the app with a strict Content-Security-Policy', async ({ request }) => {
  const response = await request.get('/');
  expect(response.status()).toBe(200);
  expect(response.headers()['content-type']).toMatch(/^text\/html/);
  const csp = response.headers()['content-security-policy'];
  expect(csp).toContain("default-src 'self'");
  expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
  expect(response.headers()['x-content-type-options']).toBe('nosniff');
  const html = await response.text();
  expect(html).toContain('<script type="module" src="/js/main.js">');
  // No inline script or style anywhere: the CSP would refuse them.
  expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
  expect(html).not.toMatch(/<style|style=/);
});

test('every file the page names is served, as the right type', async ({ request }) => {
  const html = await (await request.get('/')).text();
  const files = [...html.matchAll(/(?:href|src)="(\/[^"]+)"/g)].map((match) => match[1]);
  expect(files).toEqual(expect.arrayContaining(['/app.css', '/js/main.js', '/favicon.svg']));
  for (const file of files) {
    const response = await request.get(file);
    expect(response.status(), file).toBe(200);
    const type = file.endsWith('.js') ? /javascript/ : file.endsWith('.css') ? /text\/css/ : /image\/svg/;
    expect(response.headers()['content-type'], file).toMatch(type);
  }
});

test('API paths are still the worker, with JSON errors', async ({ request }) => {
  for (const path of ['/nothing', '/room/x/nothing', '/web/index.html', '/_headers']) {
    const response = await request.get(path);
    expect(response.status(), path).toBe(404);
    expect(await response.json(), path).toHaveProperty('error');
  }
  const spec = await request.get('/openapi.json');
  expect(spec.status()).toBe(200);
  expect((await spec.json()).openapi).toMatch(/^3\./);
  const live = await request.get('/asyncapi.json');
  expect(live.status()).toBe(200);
  expect(live.headers()['content-type']).toMatch(/^application\/json/);
  expect((await live.json()).asyncapi).toBe('3.0.0');
});

test('the app starts on the login page, with no errors and no CSP violations', async ({ person }) => {
  const page = await person();
  await page.goto('/');
  await expect(page).toHaveURL(/#\/login$/);
  await expect(page.getByRole('heading', { name: 'Log in', level: 1 })).toBeVisible();
  await expect(page).toHaveTitle('Log in · chatrooms');
});
