/**
 * Cosine similarity of rows [start, end) of two row-major matrices of width `dim`, written to `out[row]`.
 * A zero vector has similarity 0 with everything. Tight loop over Float32Arrays: no allocation.
 */
export function cosineRows(a: Float32Array, b: Float32Array, dim: number, start: number, end: number, out: Float32Array): void {
  for (let row = start; row < end; row++) {
    const base = row * dim;
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (let i = base; i < base + dim; i++) {
      const x = a[i]!;
      const y = b[i]!;
      dot += x * y;
      na += x * x;
      nb += y * y;
    }
    out[row] = na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
  }
}

/** Cosine similarity of two vectors. */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}
