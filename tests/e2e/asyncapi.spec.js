// web/asyncapi.json, the live socket's frames, and the web client that speaks them: the client
// reads exactly the frames the document says the server sends, and sends exactly the ones it
// says the server accepts. Read from the files: no browser and no server needed.
const fs = require('node:fs');
const path = require('node:path');
const { test, expect } = require('@playwright/test');

const WEB = path.resolve(__dirname, '../../web');
const document = JSON.parse(fs.readFileSync(path.join(WEB, 'asyncapi.json'), 'utf8'));
const live = fs.readFileSync(path.join(WEB, 'js/live.js'), 'utf8');

/** The frame types (`payload.properties.type.const`) of one operation's messages. */
function frameTypes(operation) {
  return document.operations[operation].messages.map(({ $ref }) => {
    const name = $ref.split('/').at(-1);
    const message = document.channels.roomLive.messages[name].$ref.split('/').at(-1);
    return document.components.messages[message].payload.properties.type.const;
  }).sort();
}

const unique = (values) => [...new Set(values)].sort();

test('the client reads exactly the frames the document says the server sends', () => {
  // live.js's `Frame` typedef: every server frame the client handles, by its `type`.
  const typedef = /@typedef \{([\s\S]*?)\}\} Frame\b/.exec(live)?.[1] ?? '';
  const types = [...typedef.matchAll(/type: ((?:'\w+'(?: \| )?)+)/g)].flatMap(([, union]) => union.match(/\w+/g));
  expect(unique(types)).toEqual(frameTypes('sendRoomFrames'));
});

test('the client sends exactly the frames the document says the server accepts', () => {
  const sent = [...live.matchAll(/JSON\.stringify\(\{ type: '(\w+)'/g)].map(([, type]) => type);
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
