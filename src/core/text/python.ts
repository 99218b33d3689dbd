/**
 * The few Python string behaviours the Kaggle notebook and Keras rely on, reproduced exactly so their numbers
 * (vocabulary size, max length, tokenizer JSON) come out the same here.
 */

/** Python's `str.split()` with no argument: runs of Unicode whitespace (str.isspace), no empty strings. */
const PY_WHITESPACE = /[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/;

export function pySplitWhitespace(text: string): string[] {
  return text.split(PY_WHITESPACE).filter((piece) => piece !== '');
}

/** Python's `len(s)`: code points, not UTF-16 units. */
export function pyLen(text: string): number {
  let length = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) i++;
    length++;
  }
  return length;
}

/** Python's `s.replace(old, new)` (literal, every occurrence). */
export function pyReplace(text: string, old: string, replacement: string): string {
  return text.split(old).join(replacement);
}

/**
 * Python's `json.dumps(value)` with its defaults: `", "` and `": "` separators, `ensure_ascii=True` (every
 * char outside printable ASCII as `\uXXXX`, lowercase hex, astral chars as surrogate pairs), keys in
 * insertion order. Numbers are written as JavaScript writes them (integers here).
 */
export function pyJsonDumps(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
    return String(value);
  }
  if (typeof value === 'string') return pyJsonString(value);
  if (Array.isArray(value)) return `[${value.map(pyJsonDumps).join(', ')}]`;
  if (value instanceof Map) {
    return `{${[...value].map(([key, item]) => `${pyJsonString(String(key))}: ${pyJsonDumps(item)}`).join(', ')}}`;
  }
  const entries = Object.entries(value as Record<string, unknown>);
  return `{${entries.map(([key, item]) => `${pyJsonString(key)}: ${pyJsonDumps(item)}`).join(', ')}}`;
}

const SHORT_ESCAPES: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\b': '\\b',
  '\f': '\\f',
};

function pyJsonString(text: string): string {
  // Python's ESCAPE_ASCII pattern: a backslash, a quote, or anything outside ' '..'~'.
  return `"${text.replace(/[\\"]|[^ -~]/g, (char) => SHORT_ESCAPES[char] ?? `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`)}"`;
}
