import type { PropertyValue } from './types.js';

/**
 * The one rule that turns a node's identity into an Engram memory id, shared by the backfill, validation,
 * `load` (bundle lines carry the id) and the live adapters. Reversible: {@link parseMemoryId} gives back
 * the key values (typed) or the element id, so a memory can always be traced to its node.
 *
 * | node identity                       | memory id                       |
 * |-------------------------------------|---------------------------------|
 * | string key `"alice"`                | `alice`                         |
 * | integer key `16961` (any 64-bit)    | `16961`                         |
 * | string key that looks like an integer, or starts with `~` (`"42"`, `"~x"`) | `~s:42`, `~s:~x` |
 * | composite key `["Alice", 1987]`     | `~c:["Alice","1987"]` (each part by this rule) |
 * | no key: Neo4j's element id          | `~e:4:4f1b…:123`                |
 *
 * Strings and integers, the key types graphs use, read as themselves; the `~` forms keep the rule
 * reversible where a plain string would be ambiguous.
 */

/** A usable key component: a string, or an integer (bigint keeps 64-bit values exact). */
export type KeyValue = string | bigint;

const CANONICAL_INTEGER = /^-?(0|[1-9][0-9]*)$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** The id of one key component. */
function componentId(value: KeyValue): string {
  if (typeof value === 'bigint') return value.toString();
  return CANONICAL_INTEGER.test(value) || value.startsWith('~') ? `~s:${value}` : value;
}

function parseComponent(id: string): KeyValue {
  if (id.startsWith('~s:')) return id.slice(3);
  if (CANONICAL_INTEGER.test(id)) return BigInt(id);
  return id;
}

/** The memory id of a node keyed by these values (one value: a simple key; several: a composite key). */
export function memoryIdForKey(values: readonly KeyValue[]): string {
  if (values.length === 1) return componentId(values[0]!);
  return `~c:${JSON.stringify(values.map(componentId))}`;
}

/** The memory id of a node migrated by Neo4j's own identity (a label without a usable key). */
export function memoryIdForElement(elementId: string): string {
  return `~e:${elementId}`;
}

export type ParsedMemoryId = { kind: 'key'; values: KeyValue[] } | { kind: 'element'; elementId: string };

/** The inverse of {@link memoryIdForKey} and {@link memoryIdForElement}. */
export function parseMemoryId(id: string): ParsedMemoryId {
  if (id.startsWith('~e:')) return { kind: 'element', elementId: id.slice(3) };
  if (id.startsWith('~c:')) {
    const parts = JSON.parse(id.slice(3)) as string[];
    return { kind: 'key', values: parts.map(parseComponent) };
  }
  return { kind: 'key', values: [parseComponent(id)] };
}

/**
 * A property value as a key component, or a reason why it cannot be one. Integers (safe numbers or
 * bigint within 64 bits) and non-empty strings are keys; floats, booleans, lists and the rest are not.
 */
export function keyValueOf(value: PropertyValue | undefined): { ok: true; value: KeyValue } | { ok: false; missing: boolean; reason: string } {
  if (value === undefined || value === null) return { ok: false, missing: true, reason: 'is missing' };
  if (typeof value === 'string') return value.length > 0 ? { ok: true, value } : { ok: false, missing: false, reason: 'is an empty string' };
  if (typeof value === 'bigint') {
    return value >= INT64_MIN && value <= INT64_MAX ? { ok: true, value } : { ok: false, missing: false, reason: `is ${value}, outside 64-bit integers` };
  }
  if (typeof value === 'number' && Number.isSafeInteger(value)) return { ok: true, value: BigInt(value) };
  const shown =
    typeof value === 'number'
      ? String(value)
      : Array.isArray(value)
        ? 'a list'
        : typeof value === 'object'
          ? `a ${value.$unsupported}`
          : `${typeof value} ${String(value)}`;
  return { ok: false, missing: false, reason: `is ${shown}; a key must be a string or an integer` };
}
