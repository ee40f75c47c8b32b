// Browser tests of the web client (tests/e2e/), in Debian's Chromium against a real
// `wrangler dev` that tests/e2e/global-setup.js starts (and stops) for the run.
// Playwright's own browser download cannot work on these machines: scripts/setup.sh --browser
// installs the `chromium` package instead.
const { defineConfig } = require('@playwright/test');

module.exports = defineConfig({
  testDir: 'tests/e2e',
  globalSetup: require.resolve('./tests/e2e/global-setup.js'),
  outputDir: 'test-results',
  fullyParallel: true,
  // One wrangler dev serves every worker, and two browsers at a time share a 2-core machine.
  workers: process.env.CHATROOMS_E2E_WORKERS ? Number(process.env.CHATROOMS_E2E_WORKERS) : 2,
  forbidOnly: Boolean(process.env.CI),
  retries: 0,
  timeout: 120_000,
  // Patience, not a speed claim: how long to wait for what must come (a live frame, a page). That
  // the socket brought it, not a poll, the tests check by what the page asked of the server.
  expect: { timeout: 15_000 },
  reporter: process.env.CI ? [['list'], ['html', { open: 'never' }]] : [['list']],
  use: {
    browserName: 'chromium',
    launchOptions: {
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      // --no-sandbox: the machines run as root. The rest keep Chromium from calling home on a
      // network where nothing answers.
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync'],
    },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
});
