import { EMBEDDING_DIM } from '../mapping/types.js';

/** Bytes the predictor holds per memory: its unit row (float32) and its id, confidence and map entries. */
export const PREDICTOR_BYTES_PER_MEMORY = EMBEDDING_DIM * 4 + 200;

/**
 * For each space, the index of the last label (in run order) that writes to it: the predictor holds a
 * space from its first label until that one is done (backfill releases it then).
 */
export function lastLabelWriting(spacesPerLabel: ReadonlyArray<readonly string[]>): Map<string, number> {
  const last = new Map<string, number>();
  spacesPerLabel.forEach((spaces, i) => {
    for (const s of spaces) last.set(s, i);
  });
  return last;
}

/**
 * The most the predictor holds at once over a run that writes labels in order: while label i is written,
 * its spaces and the spaces of earlier labels that a later label still writes to are held (a space is
 * released after the last label writing to it), each counted at its planned size.
 */
export function predictorPeakBytes(spacesPerLabel: ReadonlyArray<readonly string[]>, planned: ReadonlyMap<string, number>): number {
  const lastUse = lastLabelWriting(spacesPerLabel);
  let peak = 0;
  spacesPerLabel.forEach((_, i) => {
    const held = new Set<string>();
    for (let j = 0; j <= i; j++) for (const s of spacesPerLabel[j]!) if (lastUse.get(s)! >= i) held.add(s);
    const memories = [...held].reduce((n, s) => n + (planned.get(s) ?? 0), 0);
    peak = Math.max(peak, memories * PREDICTOR_BYTES_PER_MEMORY);
  });
  return peak;
}
