// Whether an answer is what web/openapi.json documents for its operation and status: a small
// JSON Schema check (the keywords the document uses: $ref, type, const, enum, properties,
// required, additionalProperties, items, min/maxItems, oneOf, anyOf, allOf, pattern, min/max,
// min/maxLength, format uuid and date-time). Throws an AssertionError that names the path.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

const document = JSON.parse(readFileSync(new URL('../../../web/openapi.json', import.meta.url), 'utf8'));
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** @param {string} ref */
const resolve = (ref) => ref.slice(2).split('/').reduce((node, part) => node[part.replace(/~1/g, '/').replace(/~0/g, '~')], document);

/** @returns {string | null} what is wrong, or null */
function check(schema, value, path) {
  if (schema.$ref) {
    const wrong = check(resolve(schema.$ref), value, path);
    if (wrong) return wrong;
  }
  for (const part of schema.allOf ?? []) {
    const wrong = check(part, value, path);
    if (wrong) return wrong;
  }
  if (schema.oneOf) {
    const fits = schema.oneOf.filter((part) => check(part, value, path) == null).length;
    if (fits !== 1) return `${path}: fits ${fits} of oneOf's ${schema.oneOf.length}`;
  }
  if (schema.anyOf && !schema.anyOf.some((part) => check(part, value, path) == null)) return `${path}: fits none of anyOf`;
  if ('const' in schema && value !== schema.const) return `${path}: ${JSON.stringify(value)} is not ${JSON.stringify(schema.const)}`;
  if (schema.enum && !schema.enum.includes(value)) return `${path}: ${JSON.stringify(value)} not in ${JSON.stringify(schema.enum)}`;
  if (schema.type) {
    const types = [schema.type].flat();
    const actual = value === null ? 'null' : Array.isArray(value) ? 'array' : Number.isInteger(value) ? 'integer' : typeof value;
    if (!types.includes(actual) && !(actual === 'integer' && types.includes('number'))) return `${path}: ${actual}, not ${types.join('|')}`;
  }
  if (typeof value === 'string') {
    if (schema.pattern && !new RegExp(schema.pattern, 'u').test(value)) return `${path}: ${JSON.stringify(value)} does not match ${schema.pattern}`;
    if (schema.format === 'uuid' && !UUID.test(value)) return `${path}: ${value} is not a UUID`;
    if (schema.format === 'date-time' && Number.isNaN(Date.parse(value))) return `${path}: ${value} is not a date-time`;
    if (schema.maxLength != null && [...value].length > schema.maxLength) return `${path}: longer than ${schema.maxLength}`;
    if (schema.minLength != null && [...value].length < schema.minLength) return `${path}: shorter than ${schema.minLength}`;
  }
  if (typeof value === 'number') {
    if (schema.minimum != null && value < schema.minimum) return `${path}: ${value} < ${schema.minimum}`;
    if (schema.maximum != null && value > schema.maximum) return `${path}: ${value} > ${schema.maximum}`;
  }
  if (Array.isArray(value)) {
    if (schema.maxItems != null && value.length > schema.maxItems) return `${path}: more than ${schema.maxItems} items`;
    if (schema.minItems != null && value.length < schema.minItems) return `${path}: fewer than ${schema.minItems} items`;
    if (schema.items) {
      for (const [index, item] of value.entries()) {
        const wrong = check(schema.items, item, `${path}[${index}]`);
        if (wrong) return wrong;
      }
    }
  }
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const name of schema.required ?? []) if (!(name in value)) return `${path}: lacks ${name}`;
    for (const [name, item] of Object.entries(value)) {
      const property = schema.properties?.[name];
      if (property) {
        const wrong = check(property, item, `${path}.${name}`);
        if (wrong) return wrong;
      } else if (schema.additionalProperties === false) {
        return `${path}: has ${name}, which the document does not`;
      } else if (typeof schema.additionalProperties === 'object') {
        const wrong = check(schema.additionalProperties, item, `${path}.${name}`);
        if (wrong) return wrong;
      }
    }
  }
  return null;
}

/** The operation by its id: [method, path, operation]. */
function operation(id) {
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, op] of Object.entries(item)) if (op?.operationId === id) return op;
  }
  throw new Error(`openapi.json has no operation ${id}`);
}

/**
 * Asserts that `value` is operation `id`'s documented answer with `status` (null: no body).
 * @param {string} id
 * @param {number} status
 * @param {unknown} value
 */
export function conforms(id, status, value) {
  let response = operation(id).responses[String(status)];
  assert.ok(response, `${id} documents no ${status}`);
  if (response.$ref) response = resolve(response.$ref);
  const schema = response.content?.['application/json']?.schema;
  if (!schema) {
    assert.equal(value, null, `${id} ${status} documents no body`);
    return value;
  }
  const wrong = check(schema, value, id);
  assert.equal(wrong, null, `${id} ${status}: ${wrong}\n${JSON.stringify(value)}`);
  return value;
}
