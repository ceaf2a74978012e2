import neo4j from 'neo4j-driver';
import type { PropertyValue } from '../mapping/types.js';
import { setOwn } from '../shared/own.js';

/**
 * Converts a value from neo4j-driver into a {@link PropertyValue} that can cross to a worker thread:
 * integers become numbers when safe and bigint otherwise; temporal values become ISO 8601 strings;
 * points and byte arrays are tagged unsupported so the mapping can reject the record naming the field.
 */
export function normalizeValue(value: unknown): PropertyValue {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'string':
    case 'boolean':
    case 'number':
      return value;
    case 'bigint':
      return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
    default:
      break;
  }
  if (Array.isArray(value)) return value.map(normalizeValue);
  if (neo4j.isInt(value)) {
    const int = value as { inSafeRange(): boolean; toNumber(): number; toBigInt(): bigint };
    return int.inSafeRange() ? int.toNumber() : int.toBigInt();
  }
  if (
    neo4j.isDateTime(value) ||
    neo4j.isDate(value) ||
    neo4j.isLocalDateTime(value) ||
    neo4j.isLocalTime(value) ||
    neo4j.isTime(value) ||
    neo4j.isDuration(value)
  ) {
    return String(value);
  }
  if (neo4j.isPoint(value)) return { $unsupported: 'Point' };
  if (value instanceof Uint8Array) return { $unsupported: 'ByteArray' };
  return { $unsupported: Object.prototype.toString.call(value).slice(8, -1) };
}

/** Normalises every property of a node or relationship. */
export function normalizeProperties(properties: Record<string, unknown>): Record<string, PropertyValue> {
  const out: Record<string, PropertyValue> = {};
  for (const [name, value] of Object.entries(properties)) setOwn(out, name, normalizeValue(value));
  return out;
}

/** Quotes a label, relationship type or property key for Cypher (backticks, embedded backticks doubled). */
export function quoteIdentifier(name: string): string {
  return '`' + name.replaceAll('`', '``') + '`';
}
