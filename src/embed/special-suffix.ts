/**
 * transformers.js truncates a tokenised text by cutting the id list at `max_length`, which drops
 * the closing special token ([SEP], </s>). Python's tokenizers (and so sentence-transformers)
 * truncate the text and keep it. These helpers put the closing tokens back, so a long text gets
 * the same ids, and a real model the same vector, as in Python.
 */

/** The minimal tokenizer surface used here. */
export interface EncodesText {
  encode(text: string, options?: { add_special_tokens?: boolean }): number[];
}

/** The special ids the tokenizer appends after a single text (e.g. `[SEP]`), in order. */
export function specialSuffix(tokenizer: EncodesText): bigint[] {
  const bare = tokenizer.encode('a', { add_special_tokens: false });
  const full = tokenizer.encode('a');
  for (let start = 0; start + bare.length <= full.length; start++) {
    if (bare.every((id, i) => full[start + i] === id)) return full.slice(start + bare.length).map((id) => BigInt(id));
  }
  return [];
}

/**
 * For each row of `ids [batch, seq]` whose unpadded length reached `maxLength` (so it may have
 * been cut), writes `suffix` over its last tokens unless it already ends with it.
 */
export function restoreSuffix(ids: BigInt64Array, mask: BigInt64Array, batch: number, seq: number, maxLength: number, suffix: bigint[]): void {
  if (suffix.length === 0 || suffix.length >= maxLength) return;
  for (let b = 0; b < batch; b++) {
    let length = 0;
    for (let s = 0; s < seq; s++) if (mask[b * seq + s] !== 0n) length = s + 1;
    if (length < maxLength) continue;
    const start = b * seq + length - suffix.length;
    if (suffix.every((id, i) => ids[start + i] === id)) continue;
    suffix.forEach((id, i) => {
      ids[start + i] = id;
    });
  }
}
