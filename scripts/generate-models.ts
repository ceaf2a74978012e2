/**
 * Writes the generated test and benchmark models (`models/tiny`, `models/bench`), skipping a model
 * whose folder already holds the same generator version and options.
 *
 * Usage: node dist/scripts/generate-models.js [--out models] [--only tiny|bench] [--force]
 */
import { join, resolve } from 'node:path';
import { parseScriptArgs } from './script-args.js';

const USAGE = `Usage: node dist/scripts/generate-models.js [--out models] [--only tiny|bench] [--force]   (npm run models -- [options])

Writes the generated embedding models (BERT architecture, random deterministic weights: the real cost,
no meaning): models/tiny for tests and the demo, models/bench for benchmarks. A model whose folder already
holds the same generator version and options is skipped unless --force.
  -h, --help   this text`;
import { ensureModel, MODEL_PRESETS } from '../src/embed/ensure-model.js';

const NAMES = Object.keys(MODEL_PRESETS) as Array<keyof typeof MODEL_PRESETS>;

function parse(): { out: string; names: typeof NAMES; force: boolean } {
  const { values } = parseScriptArgs(USAGE, {
    out: { type: 'string', default: 'models' },
    only: { type: 'string' },
    force: { type: 'boolean', default: false },
  });
  const only = values.only;
  if (only !== undefined && !NAMES.includes(only as (typeof NAMES)[number])) {
    throw new Error(`--only must be one of ${NAMES.join(', ')}, got ${only}`);
  }
  return { out: resolve(values.out), names: only === undefined ? NAMES : [only as (typeof NAMES)[number]], force: values.force };
}

async function main(): Promise<void> {
  const { out, names, force } = parse();
  for (const name of names) {
    const dir = join(out, name);
    const result = await ensureModel(dir, MODEL_PRESETS[name], force);
    if (result.generated) {
      const mb = (result.bytes / 1e6).toFixed(1);
      console.log(`${name}: wrote ${dir} (${mb} MB in ${(result.ms / 1000).toFixed(1)} s)`);
    } else {
      console.log(`${name}: ${dir} is up to date`);
    }
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
