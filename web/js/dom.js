// The one way this client builds DOM, and the one way its parts send events up. Strings always
// become text nodes (textContent), never markup: user-supplied text cannot turn into HTML.
// Nothing in web/ uses innerHTML.

/**
 * h('button', { class: 'primary', type: 'submit', onclick: fn }, 'Send', child, [more])
 * Props: `on…` adds a listener, `class` sets the class, `true` sets a boolean attribute,
 * `null`/`undefined`/`false` are left out, anything else is set as an attribute.
 * @template {keyof HTMLElementTagNameMap} Tag
 * @param {Tag} tag
 * @param {Record<string, any>} [props]
 * @param {...Child} children
 * @returns {HTMLElementTagNameMap[Tag]}
 */
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value == null || value === false) continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

/** @typedef {Node | string | number | boolean | null | undefined | unknown[]} Child nested arrays are flattened */

/**
 * Appends children: nodes as they are, strings and numbers as text, nested arrays flattened.
 * @template {Element} E
 * @param {E} element
 * @param {Child} children
 * @returns {E}
 */
export function append(element, children) {
  for (const child of [children].flat(Infinity)) {
    if (child == null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

/**
 * Replaces everything inside `element`.
 * @template {Element} E
 * @param {E} element
 * @param {...Child} children
 * @returns {E}
 */
export function fill(element, ...children) {
  element.replaceChildren();
  return append(element, children);
}

/** A unique id for pairing labels, descriptions and controls. */
let counter = 0;
/** @param {string} [prefix] */
export function uid(prefix = 'id') {
  counter += 1;
  return `${prefix}-${counter}`;
}

/**
 * Tells the views around `element` that something happened: a `type` event with `detail`,
 * bubbling up to whichever one listens. Children report this way; they never change their
 * parent's data.
 * @param {EventTarget} element
 * @param {string} type
 * @param {object} [detail]
 */
export function emit(element, type, detail = {}) {
  element.dispatchEvent(new CustomEvent(type, { bubbles: true, detail }));
}
