import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, it } from 'vitest';
import { register } from 'prom-client';
import { LiveMetrics } from '../../../src/live/live-metrics.js';
import { CutoverRouter } from '../../../src/live/cutover/cutover-router.js';
import { MemoryGraphDatabase, memory, vector } from './memory-graph-database.js';

it('serves its own registry on a mountable handler: routing share, errors, fallbacks, DLQ gauges', async () => {
  const metrics = new LiveMetrics({ defaultLabels: { service: 'unit' } });
  let depth = 7;
  metrics.watchDlq(() => ({
    entries: depth,
    inDoubt: 0,
    queued: depth,
    inFlight: 0,
    parked: 2,
    superseded: 0,
    rechecks: 0,
    depth,
    oldestQueuedAt: null,
    journalBytes: 0,
  }));
  const oldStore = new MemoryGraphDatabase('neo4j');
  const newStore = new MemoryGraphDatabase('engram');
  await oldStore.createMemory(memory(1));
  newStore.faults = { down: true };
  const router = new CutoverRouter({ oldStore, newStore, percent: 100, metrics });
  await router.activate({ space: 'live_test', embedding: vector(1), k: 1 });
  const server = createServer(metrics.handler());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toContain('engram_migrate_live_cutover_percent{service="unit"} 100');
    expect(text).toContain('engram_migrate_live_routed_total{store="engram",service="unit"} 1');
    expect(text).toContain('engram_migrate_live_route_errors_total{store="engram",service="unit"} 1');
    expect(text).toContain('engram_migrate_live_route_fallbacks_total{from="engram",service="unit"} 1');
    expect(text).toContain('engram_migrate_live_dlq_depth{service="unit"} 7');
    expect(text).toContain('engram_migrate_live_dlq_parked{service="unit"} 2');
    depth = 0;
    expect(await metrics.text()).toContain('engram_migrate_live_dlq_depth{service="unit"} 0');
    expect(await register.metrics()).not.toContain('engram_migrate_live_'); // never the global registry
  } finally {
    server.close();
  }
});
