/**
 * Keras Tokenizer semantics and its to_json format. The golden strings come from keras_preprocessing's
 * Tokenizer code run in Python 3 (json.dumps formatting), with one change: word_docs in first-appearance
 * order instead of Python's hash-ordered set() iteration (see tokenizer.ts).
 */
import { describe, expect, it } from 'vitest';
import { KERAS_DEFAULT_FILTERS, Tokenizer, textToWordSequence } from '../../../../src/core/text/tokenizer.ts';
import { pyJsonDumps } from '../../../../src/core/text/python.ts';

const TEXTS = ["The cat sat on the mat.", "The DOG ate my homework!", "Café au lait, 2 cups; the 2nd cup", "dog\tdog cat 2"];
const GOLDEN_DEFAULT = "{\"class_name\": \"Tokenizer\", \"config\": {\"num_words\": null, \"filters\": \"!\\\"#$%&()*+,-./:;<=>?@[\\\\]^_`{|}~\\t\\n\", \"lower\": true, \"split\": \" \", \"char_level\": false, \"oov_token\": null, \"document_count\": 4, \"word_counts\": \"{\\\"the\\\": 4, \\\"cat\\\": 2, \\\"sat\\\": 1, \\\"on\\\": 1, \\\"mat\\\": 1, \\\"dog\\\": 3, \\\"ate\\\": 1, \\\"my\\\": 1, \\\"homework\\\": 1, \\\"caf\\\\u00e9\\\": 1, \\\"au\\\": 1, \\\"lait\\\": 1, \\\"2\\\": 2, \\\"cups\\\": 1, \\\"2nd\\\": 1, \\\"cup\\\": 1}\", \"word_docs\": \"{\\\"the\\\": 3, \\\"cat\\\": 2, \\\"sat\\\": 1, \\\"on\\\": 1, \\\"mat\\\": 1, \\\"dog\\\": 2, \\\"ate\\\": 1, \\\"my\\\": 1, \\\"homework\\\": 1, \\\"caf\\\\u00e9\\\": 1, \\\"au\\\": 1, \\\"lait\\\": 1, \\\"2\\\": 2, \\\"cups\\\": 1, \\\"2nd\\\": 1, \\\"cup\\\": 1}\", \"index_docs\": \"{\\\"1\\\": 3, \\\"3\\\": 2, \\\"5\\\": 1, \\\"6\\\": 1, \\\"7\\\": 1, \\\"2\\\": 2, \\\"8\\\": 1, \\\"9\\\": 1, \\\"10\\\": 1, \\\"11\\\": 1, \\\"12\\\": 1, \\\"13\\\": 1, \\\"4\\\": 2, \\\"14\\\": 1, \\\"15\\\": 1, \\\"16\\\": 1}\", \"index_word\": \"{\\\"1\\\": \\\"the\\\", \\\"2\\\": \\\"dog\\\", \\\"3\\\": \\\"cat\\\", \\\"4\\\": \\\"2\\\", \\\"5\\\": \\\"sat\\\", \\\"6\\\": \\\"on\\\", \\\"7\\\": \\\"mat\\\", \\\"8\\\": \\\"ate\\\", \\\"9\\\": \\\"my\\\", \\\"10\\\": \\\"homework\\\", \\\"11\\\": \\\"caf\\\\u00e9\\\", \\\"12\\\": \\\"au\\\", \\\"13\\\": \\\"lait\\\", \\\"14\\\": \\\"cups\\\", \\\"15\\\": \\\"2nd\\\", \\\"16\\\": \\\"cup\\\"}\", \"word_index\": \"{\\\"the\\\": 1, \\\"dog\\\": 2, \\\"cat\\\": 3, \\\"2\\\": 4, \\\"sat\\\": 5, \\\"on\\\": 6, \\\"mat\\\": 7, \\\"ate\\\": 8, \\\"my\\\": 9, \\\"homework\\\": 10, \\\"caf\\\\u00e9\\\": 11, \\\"au\\\": 12, \\\"lait\\\": 13, \\\"cups\\\": 14, \\\"2nd\\\": 15, \\\"cup\\\": 16}\"}}";
const GOLDEN_OOV_NUM_WORDS = "{\"class_name\": \"Tokenizer\", \"config\": {\"num_words\": 5, \"filters\": \"!\\\"#$%&()*+,-./:;<=>?@[\\\\]^_`{|}~\\t\\n\", \"lower\": true, \"split\": \" \", \"char_level\": false, \"oov_token\": \"<unk>\", \"document_count\": 4, \"word_counts\": \"{\\\"the\\\": 4, \\\"cat\\\": 2, \\\"sat\\\": 1, \\\"on\\\": 1, \\\"mat\\\": 1, \\\"dog\\\": 3, \\\"ate\\\": 1, \\\"my\\\": 1, \\\"homework\\\": 1, \\\"caf\\\\u00e9\\\": 1, \\\"au\\\": 1, \\\"lait\\\": 1, \\\"2\\\": 2, \\\"cups\\\": 1, \\\"2nd\\\": 1, \\\"cup\\\": 1}\", \"word_docs\": \"{\\\"the\\\": 3, \\\"cat\\\": 2, \\\"sat\\\": 1, \\\"on\\\": 1, \\\"mat\\\": 1, \\\"dog\\\": 2, \\\"ate\\\": 1, \\\"my\\\": 1, \\\"homework\\\": 1, \\\"caf\\\\u00e9\\\": 1, \\\"au\\\": 1, \\\"lait\\\": 1, \\\"2\\\": 2, \\\"cups\\\": 1, \\\"2nd\\\": 1, \\\"cup\\\": 1}\", \"index_docs\": \"{\\\"2\\\": 3, \\\"4\\\": 2, \\\"6\\\": 1, \\\"7\\\": 1, \\\"8\\\": 1, \\\"3\\\": 2, \\\"9\\\": 1, \\\"10\\\": 1, \\\"11\\\": 1, \\\"12\\\": 1, \\\"13\\\": 1, \\\"14\\\": 1, \\\"5\\\": 2, \\\"15\\\": 1, \\\"16\\\": 1, \\\"17\\\": 1}\", \"index_word\": \"{\\\"1\\\": \\\"<unk>\\\", \\\"2\\\": \\\"the\\\", \\\"3\\\": \\\"dog\\\", \\\"4\\\": \\\"cat\\\", \\\"5\\\": \\\"2\\\", \\\"6\\\": \\\"sat\\\", \\\"7\\\": \\\"on\\\", \\\"8\\\": \\\"mat\\\", \\\"9\\\": \\\"ate\\\", \\\"10\\\": \\\"my\\\", \\\"11\\\": \\\"homework\\\", \\\"12\\\": \\\"caf\\\\u00e9\\\", \\\"13\\\": \\\"au\\\", \\\"14\\\": \\\"lait\\\", \\\"15\\\": \\\"cups\\\", \\\"16\\\": \\\"2nd\\\", \\\"17\\\": \\\"cup\\\"}\", \"word_index\": \"{\\\"<unk>\\\": 1, \\\"the\\\": 2, \\\"dog\\\": 3, \\\"cat\\\": 4, \\\"2\\\": 5, \\\"sat\\\": 6, \\\"on\\\": 7, \\\"mat\\\": 8, \\\"ate\\\": 9, \\\"my\\\": 10, \\\"homework\\\": 11, \\\"caf\\\\u00e9\\\": 12, \\\"au\\\": 13, \\\"lait\\\": 14, \\\"cups\\\": 15, \\\"2nd\\\": 16, \\\"cup\\\": 17}\"}}";

describe('Tokenizer (Keras semantics)', () => {
  it('indexes by descending count, ties by first appearance, 0 reserved', () => {
    const tokenizer = new Tokenizer();
    tokenizer.fitOnTexts(['b a', 'c a b', 'd e', 'e']);
    // counts: b 2, a 2, c 1, d 1, e 2 → b, a, e (count 2, first-appearance order), then c, d.
    expect([...tokenizer.wordIndex]).toEqual([
      ['b', 1],
      ['a', 2],
      ['e', 3],
      ['c', 4],
      ['d', 5],
    ]);
    expect([...tokenizer.wordCounts.keys()]).toEqual(['b', 'a', 'c', 'd', 'e']);
    expect(tokenizer.indexWord.get(3)).toBe('e');
    expect(tokenizer.vocabSize).toBe(6);
    expect(tokenizer.documentCount).toBe(4);
  });

  it('filters the default punctuation, lowercases and splits on spaces like text_to_word_sequence', () => {
    expect(KERAS_DEFAULT_FILTERS).toBe('!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n');
    expect(textToWordSequence('A "dog", runs!\tfast -- isn\'t it?')).toEqual(['a', 'dog', 'runs', 'fast', "isn't", 'it']);
  });

  it('writes exactly what Keras to_json writes', () => {
    const tokenizer = new Tokenizer();
    tokenizer.fitOnTexts(TEXTS);
    expect(tokenizer.toJSON()).toBe(GOLDEN_DEFAULT);
    const limited = new Tokenizer({ oovToken: '<unk>', numWords: 5 });
    limited.fitOnTexts(TEXTS);
    expect(limited.toJSON()).toBe(GOLDEN_OOV_NUM_WORDS);
  });

  it('reads Keras JSON back (key order kept, integer-like words included) and round-trips', () => {
    const tokenizer = Tokenizer.fromJSON(GOLDEN_DEFAULT);
    expect(tokenizer.toJSON()).toBe(GOLDEN_DEFAULT);
    expect(tokenizer.wordIndex.get('café')).toBe(11);
    expect(tokenizer.wordIndex.get('2')).toBe(4);
    expect([...tokenizer.wordCounts.keys()].indexOf('2')).toBe(12);
    expect(Tokenizer.fromJSON(JSON.parse(GOLDEN_OOV_NUM_WORDS)).toJSON()).toBe(GOLDEN_OOV_NUM_WORDS);
    expect(() => Tokenizer.fromJSON('{"class_name": "Tokenizer"}')).toThrow(/config/);
  });

  it('textsToSequences drops unknown words, or maps them and words past num_words to the OOV index', () => {
    const plain = new Tokenizer();
    plain.fitOnTexts(TEXTS);
    expect(plain.textsToSequences(['the dog zebra cat'])).toEqual([[1, 2, 3]]);
    const limited = Tokenizer.fromJSON(GOLDEN_OOV_NUM_WORDS);
    // the 2, dog 3, cat 4 are below num_words 5; sat (6) and zebra (unknown) become <unk> (1).
    expect(limited.textsToSequences(['the dog sat zebra cat'])).toEqual([[2, 3, 1, 1, 4]]);
    expect(limited.sequencesToTexts([[2, 3, 6, 99]])).toEqual(['the dog <unk> <unk>']);
  });

  it('pyJsonDumps escapes like Python json.dumps (ensure_ascii)', () => {
    // Python: json.dumps({'k': 'é😀\x7f"\\\x01'}) → {"k": "\u00e9\ud83d\ude00\u007f\"\\\u0001"}
    expect(pyJsonDumps({ k: 'é😀\x7f"\\\x01' })).toBe('{"k": "\\u00e9\\ud83d\\ude00\\u007f\\"\\\\\\u0001"}');
    expect(pyJsonDumps(new Map([[1, 'a'], [2, 'b']]))).toBe('{"1": "a", "2": "b"}');
  });
});
