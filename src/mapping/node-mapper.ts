import { stableJson } from '../shared/stable-json.js';
import { ConfigError } from '../errors.js';
import type { ResolvedMapping } from '../config/config-schema.js';
import { own, setOwn } from '../shared/own.js';
import { keyValueOf, memoryIdForElement, memoryIdForKey, type KeyValue } from './memory-id.js';
import { MAX_CONTENT_BYTES, SPACE_ID, type LabelKey, type PropertyValue, type RejectRecord, type SourceNode } from './types.js';

const encoder = new TextEncoder();

/** What the source found in a node's embedding property (the numbers themselves travel in a shared buffer). */
export type EmbeddingInput = { kind: 'present' } | { kind: 'absent' } | { kind: 'invalid'; code: 'EMBEDDING_WIDTH' | 'EMBEDDING_INVALID'; detail: string };

/** A node mapped to a memory, except for the embedding vector, which is copied or generated later. */
export interface MappedNode {
  id: string;
  space: string;
  label: string;
  memoryType: string;
  content: string;
  timestamp: string;
  /** null: copy the source's embedding; a string: generate the embedding from this text. */
  generateFrom: string | null;
  /** True when the node had no timestamp property and got the run's start time. */
  timestampDefaulted: boolean;
  /** True when the stored embedding had another width and is generated instead (mapping.onWrongWidth: regenerate). */
  wrongWidthRegenerated: boolean;
}

export type NodeMapResult = { ok: true; node: MappedNode } | { ok: false; reject: RejectRecord };

/** The memory space a label maps to. Throws a ConfigError when the result is not a valid Engram space id. */
export function spaceForLabel(label: string, mapping: ResolvedMapping): string {
  const explicit = own(mapping.spaces, label);
  const space = explicit ?? mapping.defaultSpace.replaceAll('{label}', label.toLowerCase().replace(/[^a-z0-9_-]/g, '_'));
  if (!SPACE_ID.test(space)) {
    const where = explicit !== undefined ? `mapping.spaces.${label}` : 'mapping.defaultSpace';
    throw new ConfigError(where, `label ${JSON.stringify(label)} maps to space ${JSON.stringify(space)}, which is not 3-64 characters of a-z, 0-9, _ and -`);
  }
  return space;
}

function reject(node: SourceNode, field: string | null, code: RejectRecord['code'], reason: string, id: string | null): NodeMapResult {
  return { ok: false, reject: { kind: 'node', id, label: node.label, elementId: node.elementId, field, code, reason } };
}

/** How a label's key reads in messages: `name`, or `(name, born)` for a composite key. */
export function describeKey(key: LabelKey): string {
  return key.properties.length === 0 ? 'elementId' : key.properties.length === 1 ? key.properties[0]! : `(${key.properties.join(', ')})`;
}

export type MemoryIdResult = { ok: true; id: string } | { ok: false; field: string; code: 'MISSING_KEY' | 'INVALID_KEY'; reason: string };

/**
 * The memory id of a node from its label's key (memory-id.ts): the key values, or the element id when
 * the label has no key. Names the property when a value is missing or unusable.
 */
export function memoryIdOf(key: LabelKey, values: readonly (PropertyValue | undefined)[], elementId: string): MemoryIdResult {
  if (key.properties.length === 0) return { ok: true, id: memoryIdForElement(elementId) };
  const parts: KeyValue[] = [];
  for (const [i, property] of key.properties.entries()) {
    const value = keyValueOf(values[i]);
    if (!value.ok) {
      const code = value.missing ? 'MISSING_KEY' : 'INVALID_KEY';
      const reason = value.missing ? `node has no ${property} property (key ${describeKey(key)}: ${key.reason})` : `key property ${property} ${value.reason}`;
      return { ok: false, field: property, code, reason };
    }
    parts.push(value.value);
  }
  return { ok: true, id: memoryIdForKey(parts) };
}

/** Finds the first property (depth-first, including list items) the mapping cannot carry. */
function findUnsupported(properties: Record<string, PropertyValue>): { field: string; type: string } | null {
  const visit = (value: PropertyValue, path: string): { field: string; type: string } | null => {
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const hit = visit(value[i]!, `${path}[${i}]`);
        if (hit) return hit;
      }
    } else if (typeof value === 'object' && value !== null && typeof value !== 'bigint') {
      return { field: path, type: value.$unsupported };
    }
    return null;
  };
  for (const [name, value] of Object.entries(properties)) {
    const hit = visit(value, name);
    if (hit) return hit;
  }
  return null;
}

function renderTemplate(template: string, properties: Record<string, PropertyValue>): string {
  return template.replace(/\{([^{}]+)\}/g, (_, name: string) => {
    const value = own(properties, name);
    if (value === undefined || value === null) return '';
    return typeof value === 'string' ? value : (stableJson(value) ?? '');
  });
}

/** Content: the label's template, else stable JSON (sorted keys) of the properties minus excluded ones. */
export function contentFor(node: SourceNode, mapping: ResolvedMapping): string {
  const template = own(mapping.contentTemplates, node.label);
  if (template !== undefined) return renderTemplate(template, node.properties);
  const kept: Record<string, PropertyValue> = {};
  for (const [name, value] of Object.entries(node.properties)) {
    if (name !== mapping.embeddingProperty && !mapping.excludeProperties.includes(name)) setOwn(kept, name, value);
  }
  return stableJson(kept) ?? '{}';
}

/**
 * The text a missing embedding is generated from, or null when the node has no text at all: the label's
 * `textProperties` joined; else the first present of `defaultTextProperties`; else every other string
 * property as `name: value` lines in name order; else, for a node without any string property, its
 * properties as stable JSON (so a label without the usual text properties still gets an embedding; the
 * plan names what is used). Null only for a node without properties.
 */
export function textForEmbedding(node: SourceNode, mapping: ResolvedMapping): string | null {
  const configured = own(mapping.textProperties, node.label);
  const parts: string[] = [];
  for (const name of configured ?? mapping.defaultTextProperties) {
    const value = own(node.properties, name);
    if (typeof value === 'string' && value.trim() !== '') {
      parts.push(value);
      if (configured === undefined) break; // defaults: the first present property wins
    }
  }
  if (parts.length > 0 || configured !== undefined) return parts.length > 0 ? parts.join('\n') : null;
  for (const name of Object.keys(node.properties).sort()) {
    const value = own(node.properties, name);
    if (name === mapping.embeddingProperty || mapping.excludeProperties.includes(name)) continue;
    if (typeof value === 'string' && value.trim() !== '') parts.push(`${name}: ${value}`);
  }
  if (parts.length > 0) return parts.join('\n');
  // No string property at all (an order of ids and numbers): its properties as stable JSON, one per node.
  const json = contentFor({ ...node, label: '' }, mapping);
  return json === '{}' ? null : json;
}

/** Milliseconds since the epoch that a JavaScript Date can hold (±8.64e15). */
const MAX_EPOCH_MS = 8.64e15;

/** RFC 3339 timestamp from the node's created-at property; `fallback` when the node has none. */
export function timestampFor(value: PropertyValue | undefined, fallback: string): string | null {
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'number') return Number.isFinite(value) && Math.abs(value) <= MAX_EPOCH_MS ? new Date(value).toISOString() : null;
  if (typeof value !== 'string') return null;
  // Neo4j zoned date-times print a zone id after the offset: 2024-01-02T03:04:05+01:00[Europe/Paris].
  const iso = value.replace(/\[[^\]]+\]$/, '');
  const hasZone = /(Z|[+-]\d\d:\d\d)$/.test(iso);
  const ms = Date.parse(/^\d{4}-\d\d-\d\d$/.test(iso) ? `${iso}T00:00:00Z` : hasZone ? iso : `${iso}Z`);
  return Number.isNaN(ms) || Math.abs(ms) > MAX_EPOCH_MS ? null : new Date(ms).toISOString();
}

/**
 * Maps one node (article, "Nodes → Memories"): key → id, label → space and memory type, properties →
 * content, created_at → timestamp; the embedding is copied when present and valid, generated when missing
 * (or of another width, with `mapping.onWrongWidth: regenerate`).
 * The memory id comes from the label's key (`key`, see memory-id.ts).
 * Never throws for bad data: a node that cannot be migrated comes back as a reject naming the field.
 */
export function mapNode(node: SourceNode, embedding: EmbeddingInput, mapping: ResolvedMapping, space: string, now: string, key: LabelKey): NodeMapResult {
  const identity = memoryIdOf(key, node.keyValues, node.elementId);
  if (!identity.ok) return reject(node, identity.field, identity.code, identity.reason, null);
  const id = identity.id;
  const wrongWidth = embedding.kind === 'invalid' && embedding.code === 'EMBEDDING_WIDTH' && mapping.onWrongWidth === 'regenerate';
  if (embedding.kind === 'invalid' && !wrongWidth) return reject(node, mapping.embeddingProperty, embedding.code, embedding.detail, id);
  const unsupported = findUnsupported(node.properties);
  if (unsupported && !mapping.excludeProperties.includes(unsupported.field.split('[')[0]!)) {
    return reject(
      node,
      unsupported.field,
      'UNSUPPORTED_PROPERTY',
      `property type ${unsupported.type} cannot be carried into a memory (exclude it with mapping.excludeProperties)`,
      id,
    );
  }
  const content = contentFor(node, mapping);
  if (content.length === 0) return reject(node, null, 'CONTENT_EMPTY', 'content is empty (Engram refuses empty content)', id);
  const bytes = content.length * 3 <= MAX_CONTENT_BYTES ? content.length : encoder.encode(content).length;
  if (bytes > MAX_CONTENT_BYTES) {
    return reject(node, null, 'CONTENT_TOO_LARGE', `content is ${bytes} bytes; Engram takes at most ${MAX_CONTENT_BYTES}`, id);
  }
  const stamp = own(node.properties, mapping.timestampProperty);
  const timestamp = timestampFor(stamp, now);
  if (timestamp === null) {
    return reject(
      node,
      mapping.timestampProperty,
      'INVALID_TIMESTAMP',
      `${stableJson(stamp)} is not a date-time (RFC 3339, or epoch milliseconds within ±8.64e15)`,
      id,
    );
  }
  let generateFrom: string | null = null;
  if (embedding.kind === 'absent' || wrongWidth) {
    if (!wrongWidth && !mapping.generateMissingEmbeddings) {
      return reject(node, mapping.embeddingProperty, 'NO_TEXT_FOR_EMBEDDING', 'node has no embedding and mapping.generateMissingEmbeddings is off', id);
    }
    generateFrom = textForEmbedding(node, mapping);
    if (generateFrom === null) {
      const names = own(mapping.textProperties, node.label) ?? mapping.defaultTextProperties;
      const had = embedding.kind === 'invalid' ? `${embedding.detail} (mapping.onWrongWidth: regenerate)` : 'node has no embedding';
      return reject(
        node,
        mapping.embeddingProperty,
        'NO_TEXT_FOR_EMBEDDING',
        `${had}, none of ${names.join(', ')}, and no other string property to generate one from`,
        id,
      );
    }
  }
  const timestampDefaulted = stamp === undefined || stamp === null;
  return {
    ok: true,
    node: {
      id,
      space,
      label: node.label,
      memoryType: own(mapping.memoryTypes, node.label) ?? node.label,
      content,
      timestamp,
      generateFrom,
      timestampDefaulted,
      wrongWidthRegenerated: wrongWidth,
    },
  };
}

/** Finds a non-finite number in an embedding row; returns its index or -1. */
export function firstNonFinite(row: Float32Array): number {
  for (let i = 0; i < row.length; i++) if (!Number.isFinite(row[i]!)) return i;
  return -1;
}
