import type { ResolvedConfig } from '../config/config-schema.js';
import { textForEmbedding } from '../mapping/node-mapper.js';
import { Neo4jSource } from '../source/neo4j-source.js';

/** Pages read per label looking for nodes without an embedding before giving up on that label. */
const MAX_PAGES = 20;
const PAGE = 1_000;

/**
 * Counts the run's nodes without an embedding and reads up to `limit` of their texts, made as the
 * backfill makes them (mapping.textProperties and the defaults), in node-id order, spread over the labels.
 */
export async function sampleMissingTexts(config: ResolvedConfig, limit: number): Promise<{ missing: number; texts: string[] }> {
  const source = new Neo4jSource(config.source, config.mapping);
  try {
    await source.connect();
    const names = config.source.labels ?? (await source.labels());
    const scopes = names.map((label, i) => ({ label, earlier: names.slice(0, i) }));
    const counts = await Promise.all(scopes.map((s) => source.countMissing(s, config.mapping.embeddingProperty)));
    const missing = counts.reduce((a, b) => a + b, 0);
    const texts: string[] = [];
    for (const [i, scope] of scopes.entries()) {
      const want = Math.ceil((limit * counts[i]!) / Math.max(1, missing));
      const bounds = counts[i]! > 0 ? await source.nodeIdBounds(scope) : null;
      let found = 0;
      for (let after = (bounds?.lo ?? 0) - 1, pages = 0; bounds && after < bounds.hi && found < want && pages < MAX_PAGES; pages++) {
        const page = await source.nodePage(scope, [], after + 1, bounds.hi, PAGE);
        after = page.lastCovered;
        for (const node of page.nodes) {
          if (found >= want || (node.embedding !== undefined && node.embedding !== null)) continue;
          const text = textForEmbedding(node, config.mapping);
          if (text !== null) texts.push(text), found++;
        }
      }
    }
    return { missing, texts: texts.slice(0, limit) };
  } finally {
    await source.close();
  }
}
