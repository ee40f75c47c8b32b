// A message's reactions: one toggle per key (its count; pressed when the person has it), and the
// picker of common emoji and the keys already on the message. What a reaction does to the
// message's list, from a frame of the live socket, is `afterReaction`.

import { h } from '../dom.js';

/** @typedef {import('../api.js').Reaction} Reaction */

/** What the picker offers first, before the keys already on the message. */
export const COMMON = ['👍', '❤️', '😂', '🎉', '😮', '😢', '👀', '✅'];

/**
 * The row of a message's reactions (hidden when it has none): each key a toggle button.
 * @param {Reaction[]} reactions
 * @param {{ mayReact: boolean, toggle: (key: string, add: boolean) => void }} options
 */
export function reactionRow(reactions, { mayReact, toggle }) {
  return h('div', { class: 'reactions', role: 'group', 'aria-label': 'Reactions', hidden: reactions.length === 0 },
    reactions.map(({ key, count, me }) => h('button', {
      type: 'button',
      class: 'reaction',
      'data-key': key,
      'aria-pressed': String(me),
      'aria-label': `${key}: ${count} ${count === 1 ? 'reaction' : 'reactions'}${me ? ', yours among them' : ''}`,
      disabled: !mayReact,
      onclick: () => toggle(key, !me),
    }, h('span', { 'aria-hidden': 'true' }, key), ' ', h('span', { class: 'count', 'aria-hidden': 'true' }, String(count)))));
}

/**
 * The picker: the common emoji, then the keys already on the message; each a toggle, pressed
 * for the person's own. Arrow keys, Home and End move along it; Escape closes it.
 * @param {Reaction[]} reactions
 * @param {{ choose: (key: string, add: boolean) => void, close: () => void }} options
 */
export function reactionPicker(reactions, { choose, close }) {
  const mine = new Set(reactions.filter((reaction) => reaction.me).map((reaction) => reaction.key));
  const keys = [...COMMON, ...reactions.map((reaction) => reaction.key).filter((key) => !COMMON.includes(key))];
  const buttons = keys.map((key) => h('button', {
    type: 'button', class: 'pick', 'aria-pressed': String(mine.has(key)),
    onclick: () => { close(); choose(key, !mine.has(key)); },
  }, key));
  const closer = h('button', { type: 'button', class: 'tiny' }, 'Close');
  closer.addEventListener('click', close);
  const picker = h('div', { class: 'reaction-picker', role: 'group', 'aria-label': 'Pick a reaction' }, ...buttons, closer);
  picker.addEventListener('keydown', (event) => {
    const at = buttons.indexOf(/** @type {HTMLButtonElement} */ (document.activeElement));
    /** @param {number} to */
    const move = (to) => buttons[(to + buttons.length) % buttons.length]?.focus();
    switch (event.key) {
      case 'Escape': close(); break;
      case 'ArrowRight': case 'ArrowDown': move(at + 1); break;
      case 'ArrowLeft': case 'ArrowUp': move(at < 0 ? -1 : at - 1); break;
      case 'Home': move(0); break;
      case 'End': move(-1); break;
      default: return;
    }
    event.preventDefault();
  });
  return picker;
}

/**
 * A message's reactions after a `reaction_added` or `reaction_removed` frame: the key's count
 * is set (a key at 0 goes, a new one comes last), and `me` too when the person is who reacted.
 * Setting, not adding, makes a frame replayed after the message was shown as it is now end
 * where the room is.
 * @param {Reaction[]} reactions
 * @param {{ type: 'reaction_added' | 'reaction_removed', key: string, count: number, user_id: string }} frame
 * @param {string} me
 * @returns {Reaction[]}
 */
export function afterReaction(reactions, { type, key, count, user_id: userId }, me) {
  const added = type === 'reaction_added';
  const mine = userId === me;
  const next = reactions.map((reaction) => (reaction.key === key
    ? { ...reaction, count, me: mine ? added : reaction.me } : reaction));
  if (!next.some((reaction) => reaction.key === key)) next.push({ key, count, me: mine && added });
  return next.filter((reaction) => reaction.count > 0);
}
