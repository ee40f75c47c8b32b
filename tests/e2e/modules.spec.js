// The page names its modules up front (`<link rel="modulepreload">` in web/index.html) so that
// the browser fetches them in parallel; that list must be exactly what web/js/main.js imports,
// directly or not. Read from the files: no browser and no server needed.
const fs = require('node:fs');
const path = require('node:path');
const { test, expect } = require('@playwright/test');

const WEB = path.resolve(__dirname, '../../web');

/** The specifiers of a module's static imports and re-exports; `import('…')` is not one. */
function staticImports(source) {
  const statement = /^\s*(?:import|export)\b[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]/gm;
  return [...source.matchAll(statement)].map((match) => match[1] ?? match[2]);
}

/** Every module reachable from `entry` by static imports, as the paths the page uses. */
function importGraph(entry) {
  const reached = new Set();
  const visit = (url) => {
    if (reached.has(url)) return;
    reached.add(url);
    const source = fs.readFileSync(path.join(WEB, url), 'utf8');
    for (const specifier of staticImports(source)) {
      // A bare name ('lit') would need an import map, which this page does not have.
      expect(specifier, `an import in ${url}`).toMatch(/^\.{0,2}\//);
      visit(new URL(specifier, `https://app.invalid${url}`).pathname);
    }
  };
  visit(entry);
  return [...reached];
}

test('index.html preloads exactly the modules main.js imports, directly or not', () => {
  const html = fs.readFileSync(path.join(WEB, 'index.html'), 'utf8');
  const preloaded = [...html.matchAll(/<link\b[^>]*\brel="modulepreload"[^>]*>/g)]
    .map(([link]) => /\bhref="([^"]+)"/.exec(link)?.[1]);
  expect(new Set(preloaded).size, 'a module preloaded twice').toBe(preloaded.length);
  expect(preloaded.slice().sort()).toEqual(importGraph('/js/main.js').sort());
});
