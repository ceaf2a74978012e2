import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import {
  generateSampleNode,
  generateSampleRelationships,
  resolveSampleGraphOptions,
  SAMPLE_ENDPOINTS,
  SAMPLE_LABELS,
  SAMPLE_RELATIONSHIP_TYPES,
  sampleCounts,
  sampleNodeBatches,
  sampleRelationshipBatches,
  type DocumentRecord,
  type ResolvedSampleGraphOptions,
} from '../../src/sample/sample-graph.js';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function allDocuments(r: ResolvedSampleGraphOptions): DocumentRecord[] {
  return [...sampleNodeBatches(r, 'Document', 1_000)].flat();
}

function cosine(a: number[], b: number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return dot / Math.sqrt(na * nb);
}

describe('sampleCounts', () => {
  it.each([20, 1_000, 12_345, 1_000_000])('splits %i nodes over the labels exactly', (nodes) => {
    const c = sampleCounts({ nodes });
    expect(c.totalNodes).toBe(nodes);
    expect(Object.values(c.nodes).reduce((a, b) => a + b, 0)).toBe(nodes);
    for (const label of SAMPLE_LABELS) expect(c.nodes[label]).toBeGreaterThan(0);
    expect(c.totalRelationships / nodes).toBeGreaterThan(4);
    expect(c.totalRelationships / nodes).toBeLessThan(5.5);
  });

  it('matches the relationships and missing embeddings the generator really produces', () => {
    const r = resolveSampleGraphOptions({ nodes: 600, seed: 3, missingEmbeddings: 0.3 });
    const c = sampleCounts(r);
    for (const type of SAMPLE_RELATIONSHIP_TYPES) {
      const generated = [...sampleRelationshipBatches(r, type, 97)].flat().length;
      expect(generated, type).toBe(c.relationships[type]);
    }
    expect(allDocuments(r).filter((d) => d.embedding === undefined).length).toBe(c.documentsWithoutEmbedding);
  });

  it('refuses bad options with the option named', () => {
    expect(() => sampleCounts({ nodes: 5 })).toThrowError(ConfigError);
    expect(() => resolveSampleGraphOptions({ nodes: 1.5 })).toThrowError(/sample\.nodes/);
    expect(() => resolveSampleGraphOptions({ missingEmbeddings: 1.5 })).toThrowError(/sample\.missingEmbeddings/);
    expect(() => resolveSampleGraphOptions({ seed: -1 })).toThrowError(/sample\.seed/);
  });
});

describe('generated nodes', () => {
  const r = resolveSampleGraphOptions({ nodes: 2_000, seed: 11 });

  it('is deterministic for a seed and differs between seeds', () => {
    const other = resolveSampleGraphOptions({ nodes: 2_000, seed: 12 });
    for (const label of SAMPLE_LABELS) {
      expect(generateSampleNode(r, label, 5)).toEqual(generateSampleNode(resolveSampleGraphOptions({ nodes: 2_000, seed: 11 }), label, 5));
      expect(generateSampleNode(other, label, 5).id).not.toBe(generateSampleNode(r, label, 5).id);
    }
  });

  it('gives every node a distinct v4 uuid', () => {
    const ids = SAMPLE_LABELS.flatMap((label) => [...sampleNodeBatches(r, label, 500)].flat().map((n) => n.id));
    expect(ids.length).toBe(2_000);
    expect(new Set(ids).size).toBe(2_000);
    for (const id of ids) expect(id).toMatch(UUID_V4);
  });

  it('makes unit-length float32 embeddings that are far from near-duplicates', () => {
    const docs = allDocuments(r)
      .filter((d) => d.embedding !== undefined)
      .slice(0, 250);
    const vectors = docs.map((d) => d.embedding ?? []);
    let maxCos = -1;
    for (const v of vectors) {
      expect(v.length).toBe(768);
      expect(Math.abs(Math.hypot(...v) - 1)).toBeLessThan(1e-5);
      expect(v.every((x) => Number.isFinite(x) && Math.fround(x) === x)).toBe(true);
    }
    for (let i = 0; i < vectors.length; i++) {
      for (let j = i + 1; j < vectors.length; j++) maxCos = Math.max(maxCos, cosine(vectors[i] ?? [], vectors[j] ?? []));
    }
    expect(maxCos).toBeLessThan(0.3); // Engram drops a memory at cosine >= 0.95
  });

  it('leaves about the asked share of documents without an embedding', () => {
    for (const share of [0, 0.2, 0.5, 1]) {
      const c = sampleCounts({ nodes: 20_000, seed: 5, missingEmbeddings: share });
      expect(c.documentsWithoutEmbedding / c.nodes.Document).toBeCloseTo(share, 1);
    }
    expect(sampleCounts({ nodes: 20_000, missingEmbeddings: 0 }).documentsWithoutEmbedding).toBe(0);
    expect(sampleCounts({ nodes: 20_000, missingEmbeddings: 1 }).documentsWithoutEmbedding).toBe(10_000);
  });

  it('writes 20-60 words of content and counts them', () => {
    for (const d of allDocuments(r).slice(0, 200)) {
      const words = d.content.replace(/\.$/, '').split(' ');
      expect(words.length).toBe(d.word_count);
      expect(d.word_count).toBeGreaterThanOrEqual(20);
      expect(d.word_count).toBeLessThanOrEqual(60);
    }
  });

  it('covers the property types a migration meets', () => {
    const orgs = [...sampleNodeBatches(r, 'Organization', 100)].flat();
    const topics = [...sampleNodeBatches(r, 'Topic', 100)].flat();
    const people = [...sampleNodeBatches(r, 'Person', 1_000)].flat();
    for (const o of orgs) {
      expect(o.registry_number).toBeGreaterThan(2n ** 53n);
      expect(o.founded).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(typeof JSON.parse(o.settings)).toBe('object');
    }
    for (const t of topics) {
      expect(t.review_every).toMatch(/^P\d+M\d+DT\d+H\d+M$/);
      expect(t.created_local).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/);
      expect(t.ranks.every(Number.isInteger)).toBe(true);
    }
    for (const p of people) expect(Number.isNaN(Date.parse(p.created_at))).toBe(false);
    expect(people.some((p) => /[+-]\d{2}:\d{2}$/.test(p.created_at))).toBe(true);
    // Optional properties are absent keys, not keys holding undefined.
    const withoutEmail = people.filter((p) => !('email' in p)).length;
    expect(withoutEmail).toBeGreaterThan(people.length * 0.15);
    expect(withoutEmail).toBeLessThan(people.length * 0.35);
    expect(orgs.some((o) => !('rating' in o)) && orgs.some((o) => 'rating' in o)).toBe(true);
  });
});

describe('generated relationships', () => {
  const r = resolveSampleGraphOptions({ nodes: 500, seed: 21 });
  const idsOf = (label: (typeof SAMPLE_LABELS)[number]): Set<string> => new Set([...sampleNodeBatches(r, label, 1_000)].flat().map((n) => n.id));

  it('points only at existing nodes of the right labels, without self loops or repeated pairs', () => {
    for (const type of SAMPLE_RELATIONSHIP_TYPES) {
      const [from, to] = SAMPLE_ENDPOINTS[type];
      const sources = idsOf(from);
      const targets = idsOf(to);
      const pairs = new Set<string>();
      for (const rel of [...sampleRelationshipBatches(r, type, 1_000)].flat()) {
        expect(sources.has(rel.source), type).toBe(true);
        expect(targets.has(rel.target), type).toBe(true);
        expect(rel.source).not.toBe(rel.target);
        pairs.add(`${rel.source}>${rel.target}`);
      }
      expect(pairs.size, type).toBe(sampleCounts(r).relationships[type]);
    }
  });

  it('gives READ durations in seconds and similarities in [0, 1)', () => {
    for (const rel of generateSampleRelationships(r, 'READ', 3)) {
      expect(Number.isInteger(rel.properties.duration)).toBe(true);
      expect(rel.properties.duration).toBeGreaterThanOrEqual(5);
      expect(Number.isNaN(Date.parse(rel.properties.timestamp))).toBe(false);
    }
    for (const rel of generateSampleRelationships(r, 'SIMILAR_TO', 3)) {
      expect(rel.properties.similarity).toBeGreaterThanOrEqual(0);
      expect(rel.properties.similarity).toBeLessThan(1);
    }
  });
});
