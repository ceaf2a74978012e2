import { configure } from 'safe-stable-stringify';
import { ConfigError } from '../errors.js';
import type { ResolvedMapping } from '../config/config-schema.js';
import { SPACE_ID } from '../config/config-schema.js';
import { MAX_CONTENT_BYTES, type PropertyValue, type RejectRecord, type SourceNode } from './types.js';

const stableJson = configure({ bigint: true, deterministic: true });
const encoder = new TextEncoder();

/** What the source found in a node's embedding property (the numbers themselves travel in a shared buffer). */
export type EmbeddingInput =
  | { kind: 'present' }
  | { kind: 'absent' }
  | { kind: 'invalid'; code: 'EMBEDDING_WIDTH' | 'EMBEDDING_INVALID'; detail: string };

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
}

export type NodeMapResult = { ok: true; node: MappedNode } | { ok: false; reject: RejectRecord };

/** The memory space a label maps to. Throws a ConfigError when the result is not a valid Engram space id. */
export function spaceForLabel(label: string, mapping: ResolvedMapping): string {
  const explicit = mapping.spaces[label];
  const space = explicit ?? mapping.defaultSpace.replaceAll('{label}', label.toLowerCase().replace(/[^a-z0-9_-]/g, '_'));
  if (!SPACE_ID.test(space)) {
    const where = explicit !== undefined ? `mapping.spaces.${label}` : 'mapping.defaultSpace';
    throw new ConfigError(where, `label ${JSON.stringify(label)} maps to space ${JSON.stringify(space)}, which is not 3-64 characters of a-z, 0-9, _ and -`);
  }
  return space;
}

function reject(node: SourceNode, field: string | null, code: RejectRecord['code'], reason: string, id?: string | null): NodeMapResult {
  return {
    ok: false,
    reject: { kind: 'node', id: id ?? (typeof node.key === 'string' ? node.key : null), label: node.label, elementId: node.elementId, field, code, reason },
  };
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
    const value = properties[name];
    if (value === undefined || value === null) return '';
    return typeof value === 'string' ? value : stableJson(value) ?? '';
  });
}

/** Content: the label's template, else stable JSON (sorted keys) of the properties minus excluded ones. */
export function contentFor(node: SourceNode, mapping: ResolvedMapping): string {
  const template = mapping.contentTemplates[node.label];
  if (template !== undefined) return renderTemplate(template, node.properties);
  const kept: Record<string, PropertyValue> = {};
  for (const [name, value] of Object.entries(node.properties)) {
    if (name !== mapping.embeddingProperty && !mapping.excludeProperties.includes(name)) kept[name] = value;
  }
  return stableJson(kept) ?? '{}';
}

/** The text a missing embedding is generated from, or null when the node has none of the configured properties. */
export function textForEmbedding(node: SourceNode, mapping: ResolvedMapping): string | null {
  const configured = mapping.textProperties[node.label];
  const names = configured ?? mapping.defaultTextProperties;
  const parts: string[] = [];
  for (const name of names) {
    const value = node.properties[name];
    if (typeof value === 'string' && value.trim() !== '') {
      parts.push(value);
      if (configured === undefined) break; // defaults: the first present property wins
    }
  }
  return parts.length > 0 ? parts.join('\n') : null;
}

/** RFC 3339 timestamp from the node's created-at property; `fallback` when the node has none. */
export function timestampFor(value: PropertyValue | undefined, fallback: string): string | null {
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'number' && Number.isFinite(value)) return new Date(value).toISOString();
  if (typeof value !== 'string') return null;
  // Neo4j zoned date-times print a zone id after the offset: 2024-01-02T03:04:05+01:00[Europe/Paris].
  const iso = value.replace(/\[[^\]]+\]$/, '');
  const hasZone = /(Z|[+-]\d\d:\d\d)$/.test(iso);
  const ms = Date.parse(/^\d{4}-\d\d-\d\d$/.test(iso) ? `${iso}T00:00:00Z` : hasZone ? iso : `${iso}Z`);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

/**
 * Maps one node (article, "Nodes → Memories"): key → id, label → space and memory type, properties →
 * content, created_at → timestamp; the embedding is copied when present and valid, generated when missing.
 * Never throws for bad data: a node that cannot be migrated comes back as a reject naming the field.
 */
export function mapNode(node: SourceNode, embedding: EmbeddingInput, mapping: ResolvedMapping, space: string, now: string): NodeMapResult {
  const key = node.key;
  if (key === undefined || key === null) return reject(node, mapping.key, 'MISSING_KEY', `node has no ${mapping.key} property`, null);
  if (typeof key !== 'string' || key.length === 0) {
    return reject(node, mapping.key, 'INVALID_KEY', `key ${mapping.key} must be a non-empty string, got ${typeof key === 'string' ? 'an empty string' : stableJson(key)}`, typeof key === 'string' ? null : String(key));
  }
  if (embedding.kind === 'invalid') return reject(node, mapping.embeddingProperty, embedding.code, embedding.detail);
  const unsupported = findUnsupported(node.properties);
  if (unsupported && !mapping.excludeProperties.includes(unsupported.field.split('[')[0]!)) {
    return reject(node, unsupported.field, 'UNSUPPORTED_PROPERTY', `property type ${unsupported.type} cannot be carried into a memory (exclude it with mapping.excludeProperties)`);
  }
  const content = contentFor(node, mapping);
  if (content.length === 0) return reject(node, null, 'CONTENT_EMPTY', 'content is empty (Engram refuses empty content)');
  const bytes = content.length * 3 <= MAX_CONTENT_BYTES ? content.length : encoder.encode(content).length;
  if (bytes > MAX_CONTENT_BYTES) {
    return reject(node, null, 'CONTENT_TOO_LARGE', `content is ${bytes} bytes; Engram takes at most ${MAX_CONTENT_BYTES}`);
  }
  const timestamp = timestampFor(node.properties[mapping.timestampProperty], now);
  if (timestamp === null) {
    return reject(node, mapping.timestampProperty, 'INVALID_TIMESTAMP', `${stableJson(node.properties[mapping.timestampProperty])} is not a date-time`);
  }
  let generateFrom: string | null = null;
  if (embedding.kind === 'absent') {
    if (!mapping.generateMissingEmbeddings) {
      return reject(node, mapping.embeddingProperty, 'NO_TEXT_FOR_EMBEDDING', 'node has no embedding and mapping.generateMissingEmbeddings is off');
    }
    generateFrom = textForEmbedding(node, mapping);
    if (generateFrom === null) {
      const names = mapping.textProperties[node.label] ?? mapping.defaultTextProperties;
      return reject(node, mapping.embeddingProperty, 'NO_TEXT_FOR_EMBEDDING', `node has no embedding and none of ${names.join(', ')} to generate one from`);
    }
  }
  return {
    ok: true,
    node: { id: key, space, label: node.label, memoryType: mapping.memoryTypes[node.label] ?? node.label, content, timestamp, generateFrom },
  };
}

/** Finds a non-finite number in an embedding row; returns its index or -1. */
export function firstNonFinite(row: Float32Array): number {
  for (let i = 0; i < row.length; i++) if (!Number.isFinite(row[i]!)) return i;
  return -1;
}
