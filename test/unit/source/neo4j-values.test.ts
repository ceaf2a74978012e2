import neo4j from 'neo4j-driver';
import { expect, it } from 'vitest';
import { cypherString, normalizePropertyPairs, propertiesExceptCypher } from '../../../src/source/neo4j-values.js';

it('quotes any property name as a Cypher string literal', () => {
  expect(cypherString('embedding')).toBe("'embedding'");
  expect(cypherString("it's")).toBe("'it\\'s'");
  expect(cypherString('back\\slash')).toBe("'back\\\\slash'");
  expect(propertiesExceptCypher('n', "o'k")).toBe("[k IN keys(n) WHERE k <> 'o\\'k' | [k, n[k]]]");
});

it('builds properties from pairs as own entries, normalised as node properties are', () => {
  const props = normalizePropertyPairs([
    ['name', 'a'],
    ['count', neo4j.int(3)],
    ['__proto__', 'x'],
    ['constructor', 1],
  ]);
  expect(Object.getPrototypeOf(props)).toBe(Object.prototype);
  expect(Object.keys(props)).toEqual(['name', 'count', '__proto__', 'constructor']);
  expect(props.count).toBe(3);
  expect(Object.getOwnPropertyDescriptor(props, '__proto__')?.value).toBe('x');
});
