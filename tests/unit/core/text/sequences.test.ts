import { describe, expect, it } from 'vitest';
import { padSequences, padSequencesFlat } from '../../../../src/core/text/sequences.ts';

describe('padSequences (Keras pad_sequences)', () => {
  const seqs = [[1, 2, 3], [4], [], [5, 6, 7, 8, 9]];

  it('pads and truncates at the front by default', () => {
    expect(padSequences(seqs, 4)).toEqual([
      [0, 1, 2, 3],
      [0, 0, 0, 4],
      [0, 0, 0, 0],
      [6, 7, 8, 9],
    ]);
  });

  it('pads and truncates at the back on request, with a custom value', () => {
    expect(padSequences(seqs, 4, { padding: 'post', truncating: 'post', value: -1 })).toEqual([
      [1, 2, 3, -1],
      [4, -1, -1, -1],
      [-1, -1, -1, -1],
      [5, 6, 7, 8],
    ]);
  });

  it('defaults maxLen to the longest sequence, and the flat form matches', () => {
    expect(padSequences(seqs).every((row) => row.length === 5)).toBe(true);
    const flat = padSequencesFlat(seqs, 4, { padding: 'post' });
    expect(Array.from(flat)).toEqual(padSequences(seqs, 4, { padding: 'post' }).flat());
  });
});
