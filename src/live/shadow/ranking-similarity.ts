/**
 * How alike two ranked id lists are (shadow reads, checklist). Both take the lists best first.
 */

/**
 * overlap@k: the share of the top-k ids both lists hold. The denominator is the longer of the two top-k
 * lists (a space with fewer than k memories gives shorter lists on both sides); two empty lists agree.
 */
export function overlapAtK(a: readonly string[], b: readonly string[], k: number): number {
  const topA = a.slice(0, k);
  const topB = new Set(b.slice(0, k));
  const size = Math.max(topA.length, topB.size);
  if (size === 0) return 1;
  let shared = 0;
  for (const id of topA) if (topB.has(id)) shared++;
  return shared / size;
}

/**
 * Rank-biased overlap (Webber, Moffat and Zobel 2010), extrapolated form for two lists evaluated to
 * depth k = the shorter length: agreement at the top weighs more (persistence `p`, default 0.9). Identical
 * lists score 1, disjoint ones 0, and a swap at rank 1 costs more than a swap at rank 10.
 */
export function rankBiasedOverlap(a: readonly string[], b: readonly string[], p = 0.9): number {
  const k = Math.min(a.length, b.length);
  if (k === 0) return a.length === b.length ? 1 : 0;
  const seenA = new Set<string>();
  const seenB = new Set<string>();
  let shared = 0;
  let sum = 0;
  for (let d = 1; d <= k; d++) {
    const x = a[d - 1]!;
    const y = b[d - 1]!;
    if (x === y) shared++;
    else {
      if (seenB.has(x)) shared++;
      if (seenA.has(y)) shared++;
    }
    seenA.add(x);
    seenB.add(y);
    sum += (shared / d) * p ** d;
  }
  return (shared / k) * p ** k + ((1 - p) / p) * sum;
}
