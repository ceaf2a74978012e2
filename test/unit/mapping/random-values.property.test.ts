import fc from 'fast-check';
import neo4j from 'neo4j-driver';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src/config/resolve-config.js';
import { mapRelationship } from '../../../src/mapping/edge-mapper.js';
import { encodeEdge, encodeMemory } from '../../../src/mapping/memory-encoding.js';
import { parseMemoryId } from '../../../src/mapping/memory-id.js';
import { mapNode, type EmbeddingInput } from '../../../src/mapping/node-mapper.js';
import { EMBEDDING_DIM, type LabelKey, type RejectCode, type SourceNode } from '../../../src/mapping/types.js';
import { normalizeProperties, normalizeValue } from '../../../src/source/neo4j-values.js';

/**
 * Random Neo4j values of every type the driver hands over (integers of any size, floats with NaN and
 * infinities, strings with any unicode, huge strings, temporal values at their extremes, points, byte
 * arrays, nested lists, names like __proto__) through normalisation, the node and relationship mapping
 * and the encodings: every record maps or is rejected with a code, nothing throws, nothing is lost.
 */

const CODES: ReadonlySet<RejectCode> = new Set([
  'MISSING_KEY',
  'INVALID_KEY',
  'DUPLICATE_KEY',
  'EMBEDDING_WIDTH',
  'EMBEDDING_NOT_FINITE',
  'EMBEDDING_INVALID',
  'NO_TEXT_FOR_EMBEDDING',
  'CONTENT_EMPTY',
  'CONTENT_TOO_LARGE',
  'UNSUPPORTED_PROPERTY',
  'INVALID_TIMESTAMP',
  'INVALID_SPACE',
  'MISSING_ENDPOINT',
  'INVALID_WEIGHT',
  'ENDPOINT_REJECTED',
  'TARGET_REJECTED',
]);

const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((b) => neo4j.int(b.toString()));
const temporal = fc.oneof(
  fc
    .tuple(fc.integer({ min: -999_999_999, max: 999_999_999 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 28 }))
    .map(([y, m, d]) => new neo4j.types.Date(y, m, d)),
  fc
    .tuple(fc.integer({ min: -999_999_999, max: 999_999_999 }), fc.integer({ min: 0, max: 999_999_999 }), fc.integer({ min: -64_800, max: 64_800 }))
    .map(([y, ns, offset]) => new neo4j.types.DateTime(y, 1, 1, 0, 0, 0, ns, offset)),
  fc.tuple(fc.integer(), fc.integer(), fc.integer()).map(([mo, d, s]) => new neo4j.types.Duration(mo, d, s, 0)),
  fc.tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 })).map(([h, m]) => new neo4j.types.LocalTime(h, m, 0, 0)),
);
const scalar = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('', ' ', '\u0000', '\uD800', 'x'.repeat(120_000)),
  fc.double(),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 8.64e15, 8.64e15 + 1, Number.MAX_VALUE),
  fc.boolean(),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }),
  int64,
  temporal,
  fc.constant(new neo4j.types.Point(7203, 1, 2)),
  fc.uint8Array({ maxLength: 4 }),
  fc.constant(null),
);
const value = fc.oneof(
  { weight: 4, arbitrary: scalar },
  { weight: 1, arbitrary: fc.array(scalar, { maxLength: 4 }) },
  { weight: 1, arbitrary: fc.array(fc.array(scalar, { maxLength: 2 }), { maxLength: 2 }) },
);
const name = fc.oneof(
  fc.constantFrom('id', 'name', 'content', 'created_at', 'embedding', '__proto__', 'constructor', 'toString', 'duration', 'similarity'),
  fc.string({ minLength: 1, maxLength: 8 }),
);
const properties = fc.dictionary(name, value, { maxKeys: 6 });
const key = fc.oneof(
  fc.constant<LabelKey>({ properties: ['id'], source: 'constraint', unique: true, reason: 'random' }),
  fc.constant<LabelKey>({ properties: ['id', 'name'], source: 'keys', unique: false, reason: 'random' }),
  fc.constant<LabelKey>({ properties: [], source: 'element-id', unique: true, reason: 'random' }),
);
const embedding = fc.oneof(
  fc.constant<EmbeddingInput>({ kind: 'absent' }),
  fc.constant<EmbeddingInput>({ kind: 'present' }),
  fc.constant<EmbeddingInput>({ kind: 'invalid', code: 'EMBEDDING_WIDTH', detail: 'embedding has 3 numbers' }),
);

const mapping = resolveConfig({}).mapping;
const NOW = '2026-01-01T00:00:00.000Z';
const vector = new Float32Array(EMBEDDING_DIM).fill(0.01);

describe('random Neo4j values through mapping and encoding (property-based)', () => {
  it('every node maps (and encodes, and its id parses back) or is rejected with a known code; nothing throws', () => {
    fc.assert(
      fc.property(properties, key, embedding, fc.constantFrom('Document', 'constructor', '__proto__'), (raw, labelKey, input, label) => {
        const props = normalizeProperties(raw);
        const node: SourceNode = {
          elementId: '4:x:1',
          label,
          labels: [label],
          keyValues: labelKey.properties.map((p) => (Object.hasOwn(props, p) ? props[p]! : null)),
          properties: props,
          embedding: undefined,
        };
        const result = mapNode(node, input, mapping, 'document', NOW, labelKey);
        if (!result.ok) {
          expect(CODES.has(result.reject.code)).toBe(true);
          expect(result.reject.reason.length).toBeGreaterThan(0);
          return;
        }
        expect(parseMemoryId(result.node.id)).toBeDefined();
        for (const encoding of ['engram-json', 'bundle-ndjson'] as const)
          expect(() => JSON.parse(encodeMemory(result.node, vector, encoding, 1))).not.toThrow();
      }),
      { numRuns: 3000, seed: 20261130 },
    );
  });

  it('every relationship maps (and encodes as JSON) or is rejected with a known code; nothing throws', () => {
    const keyOf = (l: string): LabelKey => ({ properties: l === 'A' ? ['id'] : [], source: 'constraint', unique: true, reason: 'random' });
    fc.assert(
      fc.property(
        properties,
        properties,
        properties,
        fc.constantFrom('READ', 'SIMILAR_TO', 'KNOWS', 'constructor'),
        fc.constantFrom('A', 'B', null),
        (rel, a, b, type, targetLabel) => {
          const result = mapRelationship(
            {
              elementId: '5:x:1',
              type,
              properties: normalizeProperties(rel),
              source: { elementId: '4:x:1', label: 'A', keys: normalizeProperties(a) },
              target: { elementId: '4:x:2', label: targetLabel, keys: normalizeProperties(b) },
            },
            mapping,
            (l) => l.toLowerCase(),
            keyOf,
          );
          if (result.ok) expect(() => JSON.parse(encodeEdge(result.edge))).not.toThrow();
          else expect(CODES.has(result.reject.code)).toBe(true);
        },
      ),
      { numRuns: 3000, seed: 20261130 },
    );
  });

  it('normalises any driver value without throwing', () => {
    fc.assert(
      fc.property(value, (v) => void normalizeValue(v)),
      { numRuns: 2000, seed: 7 },
    );
  });
});
