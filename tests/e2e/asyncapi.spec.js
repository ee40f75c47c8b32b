// web/asyncapi.json, the live socket's frames, and the client package that speaks them for the
// web client (clients/js): its types are generated from the document (so what it reads is
// checked by tsc), it sends exactly the frames the document says the server accepts, and its
// README names every event the server sends. Read from the files: no browser and no server needed.
const fs = require('node:fs');
const path = require('node:path');
const { test, expect } = require('@playwright/test');

const WEB = path.resolve(__dirname, '../../web');
const document = JSON.parse(fs.readFileSync(path.join(WEB, 'asyncapi.json'), 'utf8'));
const PACKAGE = path.resolve(__dirname, '../../clients/js');
const sources = fs.readdirSync(path.join(PACKAGE, 'src')).filter((name) => name.endsWith('.js'))
  .map((name) => fs.readFileSync(path.join(PACKAGE, 'src', name), 'utf8')).join('\n');

/** The frame types (`payload.properties.type.const`) of one operation's messages. */
function frameTypes(operation) {
  return document.operations[operation].messages.map(({ $ref }) => {
    const name = $ref.split('/').at(-1);
    const message = document.channels.roomLive.messages[name].$ref.split('/').at(-1);
    return document.components.messages[message].payload.properties.type.const;
  }).sort();
}

const unique = (values) => [...new Set(values)].sort();

test('the package\'s README names every event the document says the server sends', () => {
  const readme = fs.readFileSync(path.join(PACKAGE, 'README.md'), 'utf8');
  // The frames that are the socket's own business, not events: the package handles them.
  const own = new Set(['hello', 'ready', 'reset', 'sent', 'error', 'pong']);
  const events = frameTypes('sendRoomFrames').filter((type) => !own.has(type));
  const named = events.filter((type) => readme.includes(`\`${type}\``));
  expect(named).toEqual(events);
});

test('the client sends exactly the frames the document says the server accepts', () => {
  const sent = [...sources.matchAll(/JSON\.stringify\((?:\/\*\*[^*]*\*\/ \()?\{ type: '(\w+)'/g)].map(([, type]) => type);
  expect(unique(sent)).toEqual(frameTypes('receiveClientFrames'));
});

test('the document is AsyncAPI 3.0.0, for the live endpoint the OpenAPI document lists', () => {
  expect(document.asyncapi).toBe('3.0.0');
  expect(document.channels.roomLive.address).toBe('/room/{room_id}/live');
  const openapi = JSON.parse(fs.readFileSync(path.join(WEB, 'openapi.json'), 'utf8'));
  expect(Object.keys(openapi.paths['/room/{room_id}/live'].get.responses)).toContain('101');
  // Every close code the server uses is described.
  expect(document['x-close-codes'].map(({ code }) => code)).toEqual([1003, 1008, 1009, 4001, 4003, 4004]);
});
