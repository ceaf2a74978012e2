import { sleep } from '../shared/abort.js';
import { storeReport, type StoredReport } from './report-store.js';
import { validate, type ValidateOptions } from './validate.js';
import type { ValidationReport } from './validation-report.js';

export interface ValidateLoopOptions extends ValidateOptions {
  /** Time between the starts of two sweeps, ms. */
  everyMs: number;
  /** Stop after this many sweeps (default: until the signal aborts). */
  times?: number;
  /** Called after each sweep with its report and where it was stored. */
  onReport?: (report: ValidationReport, stored: StoredReport, iteration: number) => void | Promise<void>;
}

export interface ValidateLoopResult {
  iterations: number;
  failed: number;
  last: ValidationReport | null;
}

/**
 * Continuous validation: a sweep every `everyMs` (measured start to start; a sweep that takes longer
 * starts the next at once), each stored under `<runDir>/validate/` and appended to its history. Sweep
 * i uses seed + i, so successive sweeps look at different nodes while each stays reproducible.
 * Stops when `times` sweeps are done or the signal aborts (Ctrl-C), between or during sweeps.
 */
export async function validateLoop(options: ValidateLoopOptions): Promise<ValidateLoopResult> {
  const baseSeed = options.seed ?? options.config.validate.seed;
  const result: ValidateLoopResult = { iterations: 0, failed: 0, last: null };
  while (options.times === undefined || result.iterations < options.times) {
    if (options.signal?.aborted) break;
    const started = Date.now();
    let report: ValidationReport;
    try {
      report = await validate({ ...options, seed: baseSeed + result.iterations });
    } catch (err) {
      if (options.signal?.aborted) break;
      throw err;
    }
    const stored = await storeReport(options.config.runDir, report);
    result.iterations++;
    result.last = report;
    if (!report.passed) result.failed++;
    await options.onReport?.(report, stored, result.iterations);
    if (options.times !== undefined && result.iterations >= options.times) break;
    const wait = Math.max(0, options.everyMs - (Date.now() - started));
    await sleep(wait, options.signal).catch(() => undefined);
  }
  return result;
}
