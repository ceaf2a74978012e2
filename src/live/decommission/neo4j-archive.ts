import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import neo4j, { type Driver } from 'neo4j-driver';
import { MigrateError } from '../../errors.js';
import { encodeEdge, type BundleMemoryLine } from '../../mapping/memory-encoding.js';
import { stableJson } from '../../shared/stable-json.js';
import { normalizeProperties, normalizeValue, quoteIdentifier as q } from '../../source/neo4j-values.js';
import { BundleTarget, digestFile, type BundleFileInfo } from '../../target/bundle-target.js';
import type { WriteGate } from '../../target/target.js';
import { Neo4jGraphDatabase } from '../adapters/neo4j-graph-database.js';

export interface ArchiveOptions {
  driver: Driver;
  database?: string;
  /** Label of the service's memory nodes (default `Memory`), as `Neo4jGraphDatabase` writes them. */
  label?: string;
  /** The archive directory: a bundle (`engram-migrate load` can replay it) that must not hold memories yet. */
  out: string;
  /** Nodes read per page (default 1,000). */
  pageSize?: number;
  /** Empty the directory first (an archive left half-written by a crash); default: refuse one that holds memories. */
  overwrite?: boolean;
}

/** What an archive holds, from its manifest; `verifyArchive` checks every figure against the files. */
export interface ArchiveSummary {
  dir: string;
  manifestSha256: string;
  memories: Record<string, number>;
  edges: number;
  tombstones: number;
  /** Nodes that cannot be a bundle line (no content, no 768-d embedding, no timestamp): kept whole in rejects.ndjson with the reason. */
  rejects: number;
  /** The label's nodes per space in Neo4j when the archive was read. */
  neo4jCounts: Record<string, number>;
}

const TOMBSTONES = 'tombstones.ndjson';
const REJECTS = 'rejects.ndjson';
const noLimit: WriteGate = { schedule: (_weight, job) => job(), concurrency: 0 };

/** Why a node cannot be a bundle line, naming the field; null when it can. */
function badNode(p: Record<string, unknown>): string | null {
  if (typeof p.id !== 'string' || p.id === '') return 'id: must be a non-empty string';
  if (typeof p.space !== 'string' || p.space === '') return 'space: must be a non-empty string';
  if (typeof p.content !== 'string' || p.content === '') return 'content: must be a non-empty string';
  const e = p.embedding;
  if (!Array.isArray(e) || e.length !== 768 || !e.every((x) => typeof x === 'number' && Number.isFinite(x))) return 'embedding: must be 768 finite numbers';
  if (typeof p.timestamp !== 'string' || Number.isNaN(Date.parse(p.timestamp))) return 'timestamp: must be an RFC 3339 date-time';
  return null;
}

function memoryLine(p: Record<string, unknown>, label: string): string {
  const embedding = Float32Array.from(p.embedding as number[]);
  const strength = typeof p.strength === 'number' && p.strength >= 0 && p.strength <= 1 ? p.strength : 1;
  const line: BundleMemoryLine = {
    id: p.id as string,
    memory_space_id: p.space as string,
    content: p.content as string,
    embedding_f32: Buffer.from(embedding.buffer).toString('base64'),
    confidence: strength,
    timestamp: new Date(p.timestamp as string).toISOString(),
    memory_type: typeof p.memory_type === 'string' ? p.memory_type : 'memory',
    label,
    strength,
    last_accessed: new Date(p.timestamp as string).toISOString(),
    embedding_source: 'copied',
  };
  return JSON.stringify(line);
}

type Row = { get: (key: string) => unknown };
type Session = { run: (cypher: string, params?: Record<string, unknown>) => Promise<{ records: Row[] }> };

/** One archive being written: the bundle, the counts per space and the rejects so far. */
class ArchiveWriter {
  readonly target: BundleTarget;
  readonly neo4jCounts: Record<string, number> = {};
  readonly rejects: string[] = [];
  edges = 0;

  constructor(
    readonly label: string,
    out: string,
    overwrite: boolean,
  ) {
    this.target = new BundleTarget(out, { overwrite });
  }

  /** Counts a node and returns its properties and space. */
  #node(raw: unknown): { p: Record<string, unknown>; space: string } {
    const p = normalizeProperties(raw as Record<string, unknown>) as Record<string, unknown>;
    const space = typeof p.space === 'string' ? p.space : '';
    this.neo4jCounts[space] = (this.neo4jCounts[space] ?? 0) + 1;
    return { p, space };
  }

  #reject(p: Record<string, unknown>, space: string, reason: string): void {
    this.rejects.push(stableJson({ id: p.id ?? null, space, reason, properties: p }) ?? '{}');
  }

  /** Writes one page of nodes as bundle lines (grouped by space), the ones no line can hold as rejects. */
  async memories(rows: Row[]): Promise<void> {
    const lines: Array<{ space: string; id: string; text: string }> = [];
    for (const r of rows) {
      const { p, space } = this.#node(r.get('p'));
      const bad = badNode(p);
      if (bad === null) lines.push({ space, id: p.id as string, text: memoryLine(p, this.label) });
      else this.#reject(p, space, `node ${JSON.stringify(p.id)}: ${bad}`);
    }
    lines.sort((a, b) => (a.space < b.space ? -1 : a.space > b.space ? 1 : 0));
    const bytes = Buffer.from(lines.map((l) => `${l.text}\n`).join(''));
    const offsets = new Uint32Array(lines.length + 1);
    for (let i = 0, at = 0; i < lines.length; i++) offsets[i + 1] = at += Buffer.byteLength(lines[i]!.text) + 1;
    await this.target.writeMemories({ ids: lines.map((l) => l.id), spaces: lines.map((l) => l.space), bytes, offsets }, noLimit);
  }

  /** Writes the relationships from a page's nodes to other nodes of the label. */
  async relationships(session: Session, ids: unknown[]): Promise<void> {
    const rels = (
      await session.run(
        `UNWIND $ids AS id MATCH (a:${q(this.label)} {id: id})-[r]->(b:${q(this.label)})
         RETURN a.id AS source, a.space AS sourceSpace, type(r) AS type, r.weight AS weight, b.id AS target, b.space AS targetSpace, properties(r) AS p`,
        { ids },
      )
    ).records;
    if (rels.length === 0) return;
    const text = rels.map((r) => {
      const weight = normalizeValue(r.get('weight'));
      const edge = {
        source: String(r.get('source')),
        sourceSpace: String(r.get('sourceSpace') ?? ''),
        target: String(r.get('target')),
        targetSpace: String(r.get('targetSpace') ?? ''),
        type: String(r.get('type')),
        weight: typeof weight === 'number' ? weight : 1,
        properties: normalizeProperties(r.get('p') as Record<string, unknown>),
      };
      return `${encodeEdge(edge)}\n`;
    });
    await this.target.writeEdges(Buffer.from(text.join('')));
    this.edges += rels.length;
  }

  /** Nodes the id paging cannot reach (no id, an empty one, or not a string): kept whole as rejects. */
  async idless(session: Session): Promise<void> {
    const rows = (await session.run(`MATCH (n:${q(this.label)}) WHERE n.id IS NULL OR n.id = '' OR NOT n.id IS :: STRING RETURN properties(n) AS p`)).records;
    for (const r of rows) {
      const { p, space } = this.#node(r.get('p'));
      this.#reject(p, space, 'id: must be a non-empty string');
    }
  }
}

/**
 * Phase 5's final bundle of Neo4j: every memory node of the service's label (per space, as bundle lines
 * with exact float32 embeddings), the relationships between them, the tombstones and any node that cannot
 * be a bundle line (with its reason), under a manifest with counts and sha256 checksums; then verified
 * (`verifyArchive`). Read in pages by id, so run it after the writes to Neo4j stopped (`retired`).
 */
export async function archiveNeo4j(o: ArchiveOptions): Promise<ArchiveSummary> {
  const label = o.label ?? 'Memory';
  const database = o.database ?? 'neo4j';
  const w = new ArchiveWriter(label, o.out, o.overwrite ?? false);
  await w.target.open(null);
  const session = o.driver.session({ database, defaultAccessMode: neo4j.session.READ });
  try {
    for (let after = ''; ; ) {
      const cypher = `MATCH (n:${q(label)}) WHERE n.id > $after RETURN n.id AS id, properties(n) AS p ORDER BY n.id LIMIT $limit`;
      const rows = (await session.run(cypher, { after, limit: neo4j.int(o.pageSize ?? 1000) })).records;
      if (rows.length === 0) break;
      after = String(rows[rows.length - 1]!.get('id'));
      await w.memories(rows);
      await w.relationships(
        session,
        rows.map((r) => r.get('id')),
      );
    }
    await w.idless(session);
  } finally {
    await session.close();
  }
  const tombstones = await new Neo4jGraphDatabase({ driver: o.driver, database, label }).listTombstones();
  await writeFile(join(o.out, TOMBSTONES), tombstones.map((t) => `${JSON.stringify(t)}\n`).join(''));
  await writeFile(join(o.out, REJECTS), w.rejects.map((l) => `${l}\n`).join(''));
  const files: Record<string, BundleFileInfo> = {};
  for (const file of [TOMBSTONES, REJECTS]) files[file] = { file, ...(await digestFile(join(o.out, file))) };
  const info = { kind: 'neo4j-archive', label, database, archivedAt: new Date().toISOString(), neo4jCounts: w.neo4jCounts, edges: w.edges, files };
  await w.target.finish(info);
  await w.target.close();
  return verifyArchive(o.out);
}

/**
 * Checks an archive end to end: the manifest's sha256, count and size of every file (memories per space,
 * edges, tombstones, rejects), every memory line loadable (`parseMemoryLine`'s field checks), and the
 * counts against Neo4j's at archive time (memories + rejects per space). Throws BUNDLE_INVALID naming the
 * file and what differs.
 */
export async function verifyArchive(dir: string): Promise<ArchiveSummary> {
  const { readManifest, readSpace } = await import('../../target/bundle-reader.js');
  const manifest = await readManifest(dir, true);
  const info = manifest.info as { kind?: string; neo4jCounts?: Record<string, number>; files?: Record<string, BundleFileInfo> };
  if (info.kind !== 'neo4j-archive' || info.files === undefined || info.neo4jCounts === undefined)
    throw new MigrateError('BUNDLE_INVALID', `${dir} is a bundle but not a decommission archive (manifest info.kind is ${JSON.stringify(info.kind)})`);
  for (const expected of Object.values(info.files)) {
    const actual = await digestFile(join(dir, expected.file)).catch(() => null);
    if (actual === null || actual.sha256 !== expected.sha256 || actual.count !== expected.count)
      throw new MigrateError(
        'BUNDLE_INVALID',
        `${expected.file} does not match the manifest (${actual === null ? 'missing' : `${actual.count} vs ${expected.count} lines`})`,
      );
  }
  const memories: Record<string, number> = {};
  for (const [space, file] of Object.entries(manifest.spaces)) {
    let n = 0;
    for await (const chunk of readSpace(dir, file.file)) n += chunk.length;
    memories[space] = n;
  }
  const rejectsBySpace: Record<string, number> = {};
  const rejectText = await readFile(join(dir, REJECTS), 'utf8');
  for (const line of rejectText.split('\n').filter(Boolean)) {
    const space = (JSON.parse(line) as { space: string }).space;
    rejectsBySpace[space] = (rejectsBySpace[space] ?? 0) + 1;
  }
  for (const [space, count] of Object.entries(info.neo4jCounts)) {
    const held = (memories[space] ?? 0) + (rejectsBySpace[space] ?? 0);
    if (held !== count) throw new MigrateError('BUNDLE_INVALID', `space ${space}: Neo4j held ${count} nodes, the archive ${held} (memories + rejects)`);
  }
  return {
    dir,
    manifestSha256: createHash('sha256')
      .update(await readFile(join(dir, 'manifest.json')))
      .digest('hex'),
    memories,
    edges: manifest.edges.count,
    tombstones: info.files[TOMBSTONES]?.count ?? 0,
    rejects: info.files[REJECTS]?.count ?? 0,
    neo4jCounts: info.neo4jCounts,
  };
}
