/**
 * Keras' `Tokenizer` (keras_preprocessing/text.py), same semantics: words counted in first-appearance order,
 * indexed by descending count with ties in first-appearance order (Python's sort is stable), index 0
 * reserved for padding, the same default filters; `toJSON()` writes what `tokenizer.to_json()` writes, so a
 * notebook's tokenizer can be imported with `fromJSON` and ours read back in Python with
 * `tokenizer_from_json`.
 *
 * One difference that cannot be avoided: Keras fills `word_docs` (and so `index_docs`) by iterating
 * `set(seq)`, whose order depends on Python's string hashing, which is randomized per process. Here each
 * document's words go in first-appearance order. Counts are identical; only that key order can differ.
 */
import { pyJsonDumps } from './python.ts';

export const KERAS_DEFAULT_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n';

export interface TokenizerOptions {
  /** Keep only words with index < numWords in `textsToSequences` (Keras' num_words). */
  numWords?: number | null;
  filters?: string;
  lower?: boolean;
  split?: string;
  charLevel?: boolean;
  oovToken?: string | null;
}

/** Keras' `text_to_word_sequence`: lowercase, every filter character becomes `split`, split, drop empties. */
export function textToWordSequence(text: string, filters = KERAS_DEFAULT_FILTERS, lower = true, split = ' '): string[] {
  const source = lower ? text.toLowerCase() : text;
  let translated = source;
  if (filters.length > 0) {
    const filterSet = filterPattern(filters);
    translated = source.replace(filterSet, split);
  }
  return translated.split(split).filter((word) => word !== '');
}

const patternCache = new Map<string, RegExp>();
function filterPattern(filters: string): RegExp {
  let pattern = patternCache.get(filters);
  if (!pattern) {
    const chars = [...new Set(Array.from(filters))].map((char) => `\\u{${char.codePointAt(0)!.toString(16)}}`);
    pattern = new RegExp(`[${chars.join('')}]`, 'gu');
    patternCache.set(filters, pattern);
  }
  return pattern;
}

/** Keras' config of a tokenizer as `get_config()` returns it (dictionaries as JSON strings). */
export interface KerasTokenizerConfig {
  num_words: number | null;
  filters: string;
  lower: boolean;
  split: string;
  char_level: boolean;
  oov_token: string | null;
  document_count: number;
  word_counts: string;
  word_docs: string;
  index_docs: string;
  index_word: string;
  word_index: string;
}

export class Tokenizer {
  numWords: number | null;
  filters: string;
  lower: boolean;
  split: string;
  charLevel: boolean;
  oovToken: string | null;
  documentCount = 0;
  wordCounts = new Map<string, number>();
  wordDocs = new Map<string, number>();
  indexDocs = new Map<number, number>();
  wordIndex = new Map<string, number>();
  indexWord = new Map<number, string>();

  constructor(options: TokenizerOptions = {}) {
    this.numWords = options.numWords ?? null;
    this.filters = options.filters ?? KERAS_DEFAULT_FILTERS;
    this.lower = options.lower ?? true;
    this.split = options.split ?? ' ';
    this.charLevel = options.charLevel ?? false;
    this.oovToken = options.oovToken ?? null;
  }

  /** `len(word_index) + 1`: the notebook's vocab_size (index 0 is padding). */
  get vocabSize(): number {
    return this.wordIndex.size + 1;
  }

  private sequenceOf(text: string | string[]): string[] {
    if (this.charLevel || Array.isArray(text)) {
      const items = Array.isArray(text) ? text : Array.from(text);
      return this.lower ? items.map((item) => item.toLowerCase()) : items;
    }
    return textToWordSequence(text, this.filters, this.lower, this.split);
  }

  /** Keras' `fit_on_texts`: counts words, then rebuilds word_index, index_word and index_docs. */
  fitOnTexts(texts: Iterable<string | string[]>): void {
    for (const text of texts) {
      this.documentCount++;
      const seq = this.sequenceOf(text);
      for (const word of seq) this.wordCounts.set(word, (this.wordCounts.get(word) ?? 0) + 1);
      for (const word of new Set(seq)) this.wordDocs.set(word, (this.wordDocs.get(word) ?? 0) + 1);
    }
    // Array.prototype.sort is stable, like Python's list.sort(reverse=True): ties keep first appearance.
    const sorted = [...this.wordCounts].sort((a, b) => b[1] - a[1]);
    const vocabulary = this.oovToken === null ? [] : [this.oovToken];
    for (const [word] of sorted) vocabulary.push(word);
    this.wordIndex = new Map();
    vocabulary.forEach((word, position) => this.wordIndex.set(word, position + 1));
    this.indexWord = new Map();
    for (const [word, index] of this.wordIndex) this.indexWord.set(index, word);
    for (const [word, count] of this.wordDocs) this.indexDocs.set(this.wordIndex.get(word)!, count);
  }

  /** Keras' `texts_to_sequences`: unknown words dropped (or the OOV index); num_words honoured. */
  textsToSequences(texts: Iterable<string | string[]>): number[][] {
    const oovIndex = this.oovToken === null ? undefined : this.wordIndex.get(this.oovToken);
    const sequences: number[][] = [];
    for (const text of texts) {
      const ids: number[] = [];
      for (const word of this.sequenceOf(text)) {
        const index = this.wordIndex.get(word);
        if (index !== undefined) {
          if (this.numWords && index >= this.numWords) {
            if (oovIndex !== undefined) ids.push(oovIndex);
          } else ids.push(index);
        } else if (this.oovToken !== null && oovIndex !== undefined) {
          ids.push(oovIndex);
        }
      }
      sequences.push(ids);
    }
    return sequences;
  }

  /** Keras' `sequences_to_texts`: words joined with spaces, unknown ids dropped (or the OOV word). */
  sequencesToTexts(sequences: Iterable<readonly number[]>): string[] {
    const oovIndex = this.oovToken === null ? undefined : this.wordIndex.get(this.oovToken);
    const oovWord = oovIndex === undefined ? undefined : this.indexWord.get(oovIndex);
    const texts: string[] = [];
    for (const seq of sequences) {
      const words: string[] = [];
      for (const id of seq) {
        const word = this.indexWord.get(id);
        if (word !== undefined) {
          if (this.numWords && id >= this.numWords) {
            if (oovWord !== undefined) words.push(oovWord);
          } else words.push(word);
        } else if (this.oovToken !== null && oovWord !== undefined) {
          words.push(oovWord);
        }
      }
      texts.push(words.join(' '));
    }
    return texts;
  }

  /** Keras' `get_config()`. */
  getConfig(): KerasTokenizerConfig {
    return {
      num_words: this.numWords,
      filters: this.filters,
      lower: this.lower,
      split: this.split,
      char_level: this.charLevel,
      oov_token: this.oovToken,
      document_count: this.documentCount,
      word_counts: pyJsonDumps(this.wordCounts),
      word_docs: pyJsonDumps(this.wordDocs),
      index_docs: pyJsonDumps(this.indexDocs),
      index_word: pyJsonDumps(this.indexWord),
      word_index: pyJsonDumps(this.wordIndex),
    };
  }

  /**
   * Byte for byte what Keras' `tokenizer.to_json()` returns (Python `json.dumps` formatting). A string, as in
   * Keras: note that `JSON.stringify(tokenizer)` therefore gives a JSON string holding this JSON.
   */
  toJSON(): string {
    return pyJsonDumps({ class_name: 'Tokenizer', config: this.getConfig() });
  }

  /** Keras' `tokenizer_from_json`: reads `to_json()` output (a string, or the object it parses to). */
  static fromJSON(json: string | { class_name?: string; config?: Partial<KerasTokenizerConfig> }): Tokenizer {
    const parsed = typeof json === 'string' ? (JSON.parse(json) as { config?: Partial<KerasTokenizerConfig> }) : json;
    const config = parsed?.config;
    if (!config || typeof config !== 'object') throw new SyntaxError('tokenizer JSON has no "config" object');
    const tokenizer = new Tokenizer({
      numWords: config.num_words ?? null,
      filters: config.filters ?? KERAS_DEFAULT_FILTERS,
      lower: config.lower ?? true,
      split: config.split ?? ' ',
      charLevel: config.char_level ?? false,
      oovToken: config.oov_token ?? null,
    });
    tokenizer.documentCount = config.document_count ?? 0;
    tokenizer.wordCounts = new Map(flatJsonEntries(config.word_counts, 'word_counts').map(([k, v]) => [k, Number(v)]));
    tokenizer.wordDocs = new Map(flatJsonEntries(config.word_docs, 'word_docs').map(([k, v]) => [k, Number(v)]));
    tokenizer.indexDocs = new Map(flatJsonEntries(config.index_docs, 'index_docs').map(([k, v]) => [Number(k), Number(v)]));
    tokenizer.indexWord = new Map(flatJsonEntries(config.index_word, 'index_word').map(([k, v]) => [Number(k), String(v)]));
    tokenizer.wordIndex = new Map(flatJsonEntries(config.word_index, 'word_index').map(([k, v]) => [k, Number(v)]));
    return tokenizer;
  }
}

const FLAT_ENTRY = /\s*("(?:[^"\\]|\\.)*")\s*:\s*("(?:[^"\\]|\\.)*"|[-+0-9.eE]+|null|true|false)\s*(,|\})/y;

/**
 * Entries of a flat JSON object in file order. JSON.parse would move integer-like keys (a word such as "2")
 * to the front of the object, changing the order a round trip must keep.
 */
function flatJsonEntries(json: string | undefined, field: string): [string, unknown][] {
  if (json === undefined) return [];
  const text = json.trim();
  if (!text.startsWith('{')) throw new SyntaxError(`tokenizer JSON: ${field} is not a JSON object`);
  if (/^\{\s*\}$/.test(text)) return [];
  const entries: [string, unknown][] = [];
  FLAT_ENTRY.lastIndex = 1;
  for (;;) {
    const match = FLAT_ENTRY.exec(text);
    if (!match) throw new SyntaxError(`tokenizer JSON: cannot read ${field} at char ${FLAT_ENTRY.lastIndex}`);
    entries.push([JSON.parse(match[1]) as string, JSON.parse(match[2]) as unknown]);
    if (match[3] === '}') break;
  }
  return entries;
}
