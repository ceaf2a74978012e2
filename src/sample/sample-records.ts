import { documentHasEmbedding, type ResolvedSampleGraphOptions, type SampleLabel } from './sample-options.js';
import { SeededRandom } from './seeded-random.js';
import { CONTENT_WORDS, FIRST_NAMES, LANGUAGES, LAST_NAMES, ORG_SUFFIXES, TIME_ZONES } from './sample-words.js';

/**
 * Generated records. Temporal values are ISO-8601 strings and the loader converts them with the
 * Cypher function named in the field's comment; integers that Neo4j must store as INTEGER are plain
 * numbers (the loader applies `toInteger`); `registry_number` is a bigint beyond 2^53. An optional
 * field left `undefined` is absent in Neo4j.
 */
export interface PersonRecord {
  id: string;
  name: string;
  /** datetime, with one of several UTC offsets */
  created_at: string;
  active: boolean;
  login_count: number;
  email?: string;
  /** date */
  birthday?: string;
}

export interface DocumentRecord {
  id: string;
  content: string;
  embedding?: number[];
  /** datetime (UTC) */
  created_at: string;
  word_count: number;
  language: string;
}

export interface TopicRecord {
  id: string;
  name: string;
  keywords: string[];
  ranks: number[];
  /** localdatetime */
  created_local: string;
  /** duration */
  review_every: string;
  /** A map stored as a JSON string. */
  metadata: string;
  description?: string;
}

export interface OrganizationRecord {
  id: string;
  name: string;
  /** date */
  founded: string;
  registry_number: bigint;
  public: boolean;
  employee_count: number;
  tags: string[];
  /** A map stored as a JSON string. */
  settings: string;
  rating?: number;
}

export interface SampleNodeRecords {
  Person: PersonRecord;
  Document: DocumentRecord;
  Topic: TopicRecord;
  Organization: OrganizationRecord;
}

const START_MS = Date.UTC(2018, 0, 1);
const SPAN_MS = Date.UTC(2025, 0, 1) - START_MS;
const TWO_POW_53 = 2n ** 53n;

/** A uniformly drawn instant (epoch ms) in 2018-2024. */
export function randomInstant(rng: SeededRandom): number {
  return START_MS + Math.floor(rng.float() * SPAN_MS);
}

/** The same instant written in the given offset, e.g. `2020-01-01T12:00:00.000+02:00`. */
function isoDateTime(ms: number, zone: string): string {
  if (zone === 'Z') return new Date(ms).toISOString();
  const sign = zone.startsWith('-') ? -1 : 1;
  const [hh, mm] = zone.slice(1).split(':').map(Number);
  const offsetMs = sign * ((hh ?? 0) * 60 + (mm ?? 0)) * 60_000;
  return new Date(ms + offsetMs).toISOString().slice(0, 23) + zone;
}

function words(rng: SeededRandom, min: number, max: number): string[] {
  const n = rng.int(min, max);
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(rng.pick(CONTENT_WORDS));
  return out;
}

/** The `id` of node `index` of `label`: the first draws of that node's own stream. */
export function sampleNodeId(resolved: ResolvedSampleGraphOptions, label: SampleLabel, index: number): string {
  return SeededRandom.forElement(resolved.seed, label, index).uuid();
}

/** A unit-length gaussian vector rounded to float32, so it survives a float32 round trip unchanged. */
function embedding(rng: SeededRandom, dim: number): number[] {
  const v = new Array<number>(dim);
  let norm = 0;
  for (let i = 0; i < dim; i++) {
    const x = rng.gaussian();
    v[i] = x;
    norm += x * x;
  }
  const scale = 1 / Math.sqrt(norm);
  for (let i = 0; i < dim; i++) v[i] = Math.fround((v[i] ?? 0) * scale);
  return v;
}

function person(rng: SeededRandom, id: string): PersonRecord {
  const first = rng.pick(FIRST_NAMES);
  const name = `${first} ${rng.pick(LAST_NAMES)}`;
  const rec: PersonRecord = {
    id,
    name,
    created_at: isoDateTime(randomInstant(rng), rng.pick(TIME_ZONES)),
    active: rng.chance(0.8),
    login_count: rng.int(0, 5_000),
  };
  if (rng.chance(0.75)) rec.email = `${first.toLowerCase()}.${id.slice(0, 8)}@example.org`;
  if (rng.chance(0.85)) rec.birthday = new Date(Date.UTC(1950, 0, 1) + rng.int(0, 18_250) * 86_400_000).toISOString().slice(0, 10);
  return rec;
}

function document(resolved: ResolvedSampleGraphOptions, rng: SeededRandom, id: string, index: number): DocumentRecord {
  const text = words(rng, 20, 60);
  const first = text[0] ?? '';
  const rec: DocumentRecord = {
    id,
    content: `${first.charAt(0).toUpperCase()}${first.slice(1)} ${text.slice(1).join(' ')}.`,
    created_at: new Date(randomInstant(rng)).toISOString(),
    word_count: text.length,
    language: rng.pick(LANGUAGES),
  };
  if (documentHasEmbedding(resolved, index)) rec.embedding = embedding(rng, resolved.embeddingDim);
  return rec;
}

function topic(rng: SeededRandom, id: string, index: number): TopicRecord {
  const keywords = [...new Set(words(rng, 2, 5))];
  const months = rng.int(0, 11);
  const rec: TopicRecord = {
    id,
    name: `${keywords[0] ?? 'topic'}-${index}`,
    keywords,
    ranks: Array.from({ length: rng.int(1, 4) }, () => rng.int(-1_000, 1_000_000)),
    created_local: new Date(randomInstant(rng)).toISOString().slice(0, 19),
    review_every: `P${months}M${rng.int(0, 30)}DT${rng.int(0, 23)}H${rng.int(0, 59)}M`,
    metadata: JSON.stringify({ source: rng.pick(['curated', 'mined', 'imported']), level: rng.int(1, 5), pinned: rng.chance(0.1) }),
  };
  if (rng.chance(0.6)) rec.description = words(rng, 5, 12).join(' ');
  return rec;
}

function organization(rng: SeededRandom, id: string): OrganizationRecord {
  const base = rng.pick(CONTENT_WORDS);
  const rec: OrganizationRecord = {
    id,
    name: `${base.charAt(0).toUpperCase()}${base.slice(1)} ${rng.pick(ORG_SUFFIXES)}`,
    founded: new Date(Date.UTC(1900, 0, 1) + rng.int(0, 45_000) * 86_400_000).toISOString().slice(0, 10),
    // Above 2^53: a JS number would round it, so only lossless integer handling keeps it.
    registry_number: TWO_POW_53 + (BigInt(rng.uint32()) << 20n) + BigInt(rng.int(1, 1_000_000)),
    public: rng.chance(0.3),
    employee_count: rng.int(1, 200_000),
    tags: [...new Set(words(rng, 0, 4))],
    settings: JSON.stringify({ tier: rng.pick(['free', 'pro', 'enterprise']), seats: rng.int(1, 500), sso: rng.chance(0.5) }),
  };
  if (rng.chance(0.7)) rec.rating = Math.round(rng.float() * 500) / 100;
  return rec;
}

/** Generates node `index` of `label`; depends only on the options, the label and the index. */
export function generateSampleNode<L extends SampleLabel>(resolved: ResolvedSampleGraphOptions, label: L, index: number): SampleNodeRecords[L] {
  const rng = SeededRandom.forElement(resolved.seed, label, index);
  const id = rng.uuid();
  const records: { [K in SampleLabel]: () => SampleNodeRecords[K] } = {
    Person: () => person(rng, id),
    Document: () => document(resolved, rng, id, index),
    Topic: () => topic(rng, id, index),
    Organization: () => organization(rng, id),
  };
  return records[label]();
}

/** Nodes of one label in index order, `batchSize` at a time. */
export function* sampleNodeBatches<L extends SampleLabel>(
  resolved: ResolvedSampleGraphOptions,
  label: L,
  batchSize: number,
): Generator<SampleNodeRecords[L][]> {
  const total = resolved.labelCounts[label];
  for (let start = 0; start < total; start += batchSize) {
    const batch: SampleNodeRecords[L][] = [];
    for (let i = start; i < Math.min(total, start + batchSize); i++) batch.push(generateSampleNode(resolved, label, i));
    yield batch;
  }
}
