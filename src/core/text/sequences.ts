/** Keras' `pad_sequences` for integer sequences. */

export interface PadOptions {
  /** Where padding goes: 'pre' (Keras' default) or 'post'. */
  padding?: 'pre' | 'post';
  /** Which end is cut from sequences longer than maxLen: 'pre' (Keras' default) or 'post'. */
  truncating?: 'pre' | 'post';
  /** The padding value (default 0, the index Keras' Tokenizer reserves). */
  value?: number;
}

/**
 * Pads or truncates each sequence to `maxLen` (default: the longest), like
 * `keras.preprocessing.sequence.pad_sequences(seqs, maxlen, padding, truncating, value)`.
 * @returns rows [seqs.length][maxLen]
 */
export function padSequences(seqs: readonly (readonly number[])[], maxLen?: number, options: PadOptions = {}): number[][] {
  const { padding = 'pre', truncating = 'pre', value = 0 } = options;
  const length = maxLen ?? seqs.reduce((longest, seq) => Math.max(longest, seq.length), 0);
  if (!Number.isInteger(length) || length < 0) throw new RangeError(`padSequences: maxLen must be a whole number >= 0, got ${maxLen}`);
  return seqs.map((seq) => {
    const kept = seq.length <= length ? seq : truncating === 'pre' ? seq.slice(seq.length - length) : seq.slice(0, length);
    const fill = new Array<number>(length - kept.length).fill(value);
    return padding === 'pre' ? [...fill, ...kept] : [...kept, ...fill];
  });
}

/**
 * The same as `padSequences`, written into one flat Int32Array, ready for a tensor.
 * @returns ids [seqs.length * maxLen], row-major
 */
export function padSequencesFlat(seqs: readonly (readonly number[])[], maxLen: number, options: PadOptions = {}): Int32Array {
  const { padding = 'pre', truncating = 'pre', value = 0 } = options;
  const out = new Int32Array(seqs.length * maxLen).fill(value);
  seqs.forEach((seq, row) => {
    const kept = seq.length <= maxLen ? seq : truncating === 'pre' ? seq.slice(seq.length - maxLen) : seq.slice(0, maxLen);
    out.set(kept, row * maxLen + (padding === 'pre' ? maxLen - kept.length : 0));
  });
  return out;
}
