/**
 * Mean pooling over the attention mask followed by L2 normalisation, written in place into a
 * caller-owned vector buffer.
 */

/**
 * For each of `batch` rows of `hidden [batch, seq, dim]`, averages the token vectors whose mask is
 * set, normalises to unit length and writes the result to `out` at `outStart + row * dim`.
 * `scratch` (length ≥ `dim`) holds the float64 running sum. A row with no unmasked token, or a
 * zero sum, is written as zeros.
 */
export function meanPoolNormalize(
  hidden: Float32Array,
  mask: BigInt64Array,
  batch: number,
  seq: number,
  dim: number,
  out: Float32Array,
  outStart: number,
  scratch: Float64Array,
): void {
  for (let b = 0; b < batch; b++) {
    scratch.fill(0, 0, dim);
    for (let s = 0; s < seq; s++) {
      if (mask[b * seq + s] === 0n) continue;
      const base = (b * seq + s) * dim;
      for (let d = 0; d < dim; d++) scratch[d] = (scratch[d] as number) + (hidden[base + d] as number);
    }
    // Dividing by the token count does not change the direction, so normalise the sum directly.
    let norm = 0;
    for (let d = 0; d < dim; d++) norm += (scratch[d] as number) ** 2;
    const inv = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    const o = outStart + b * dim;
    for (let d = 0; d < dim; d++) out[o + d] = (scratch[d] as number) * inv;
  }
}
