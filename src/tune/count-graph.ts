import type { ResolvedConfig } from '../config/config-schema.js';
import { Neo4jSource } from '../source/neo4j-source.js';

export interface GraphCount {
  labels: Array<{ label: string; nodes: number }>;
  totalNodes: number;
}

/** Nodes per label as the backfill will migrate them (a node with several labels counts under the first). */
export async function countGraph(config: ResolvedConfig): Promise<GraphCount> {
  const source = new Neo4jSource(config.source, config.mapping);
  try {
    await source.connect();
    const names = config.source.labels ?? (await source.labels());
    const labels: GraphCount['labels'] = [];
    for (const [i, label] of names.entries()) labels.push({ label, nodes: await source.countNodes({ label, earlier: names.slice(0, i) }) });
    return { labels, totalNodes: labels.reduce((s, l) => s + l.nodes, 0) };
  } finally {
    await source.close();
  }
}
