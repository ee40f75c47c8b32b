// Starts the one `wrangler dev` all browser tests share, and hands its address to the test
// workers through the environment (they start after this and inherit it).
const { startServer } = require('./server.js');

module.exports = async function globalSetup() {
  const server = await startServer();
  process.env.CHATROOMS_E2E_URL = server.base;
  // Playwright calls what global setup returns as the global teardown.
  return () => server.stop();
};
