/**
 * The pool's thread entry as piscina loads it. CommonJS on purpose: piscina loads a thread's entry with
 * require() first, and require() of an ES module takes Node's require(esm) path. In one fresh-clone CI
 * run that path aborted the whole test process while a thread started (Node 20.20.2, "FATAL ERROR:
 * v8::Module::IsGraphAsync must be used on an instantiated module", from piscina's require of
 * backfill-worker.js). This file keeps the thread off that path: its code (backfill-worker.js, an ES
 * module) is loaded with import(), started as the thread starts and awaited by each task.
 */
import type { WorkerTask } from './task-types.js';

const loaded = import('./backfill-worker.js').then((m) => m.default);

export = function run(task: WorkerTask): Promise<unknown> {
  return loaded.then((handler) => handler(task));
};
