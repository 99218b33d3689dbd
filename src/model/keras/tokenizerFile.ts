/**
 * A notebook's tokenizer file: what Keras' `tokenizer.to_json()` returns, saved as is (`f.write(...)`) or
 * JSON-encoded once more (`json.dump(tokenizer.to_json(), f)`, as many notebooks do). Anything else (another
 * JSON, a pickle) is refused with one line naming the file.
 */
import { UserError } from '../../core/errors.ts';
import { Tokenizer } from '../../core/text/tokenizer.ts';

export interface KerasTokenizerFile {
  tokenizer: Tokenizer;
  /** The `to_json()` text itself (unwrapped when the file held it as a JSON string). */
  json: string;
}

const NOT_A_TOKENIZER =
  'is not a Keras tokenizer JSON (expected what tokenizer.to_json() writes: {"class_name": "Tokenizer", "config": {"word_index": "…", …}})';

export function parseKerasTokenizerJson(text: string, file: string): KerasTokenizerFile {
  let json = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
    if (typeof parsed === 'string') {
      json = parsed;
      parsed = JSON.parse(parsed);
    }
  } catch {
    throw new UserError(`${NOT_A_TOKENIZER}; it is not even valid JSON`, { file });
  }
  const config = (parsed as { class_name?: unknown; config?: { word_index?: unknown } } | null)?.config;
  if ((parsed as { class_name?: unknown } | null)?.class_name !== 'Tokenizer' || typeof config?.word_index !== 'string') {
    throw new UserError(NOT_A_TOKENIZER, { file });
  }
  try {
    return { tokenizer: Tokenizer.fromJSON(json), json };
  } catch (error) {
    throw new UserError(`${NOT_A_TOKENIZER}: ${(error as Error).message}`, { file });
  }
}
