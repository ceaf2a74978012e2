/**
 * Groups texts of similar token length so a batch pads little: rows sorted by length (stable), then cut
 * into batches of at most `batchSize` rows whose padded size (rows × longest row) stays within
 * `tokenBudget`, so short texts go in full batches and long ones in smaller ones. Every row appears in
 * exactly one batch; callers write each result back to its own row, so output order is row order.
 */
export interface LengthBatchOptions {
  /** Most rows per batch. */
  batchSize: number;
  /** Most padded tokens (rows × longest row) per batch; a single longer row still gets a batch. */
  tokenBudget: number;
}

/** Row indices per batch, shortest texts first. `lengths[i]` is row i's token count. */
export function planLengthBatches(lengths: readonly number[], opts: LengthBatchOptions): number[][] {
  const order = lengths.map((_, i) => i).sort((a, b) => lengths[a]! - lengths[b]! || a - b);
  const batches: number[][] = [];
  let current: number[] = [];
  for (const row of order) {
    // Sorted ascending, so this row is the longest of the batch if it joins.
    const padded = (current.length + 1) * lengths[row]!;
    if (current.length > 0 && (current.length >= opts.batchSize || padded > opts.tokenBudget)) {
      batches.push(current);
      current = [];
    }
    current.push(row);
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
