/**
 * util.parseArgs with its errors turned into UsageError (exit status 2) and small typed number readers.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './errors.ts';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Strict parse: unknown options and missing option values are usage errors. `--help` is always accepted. */
export function parseCommandArgs<T extends Options>(args: string[], options: T) {
  try {
    return parseArgs({
      args,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    // Keep parseArgs' first sentence ("Unknown option '--x'"); its advice about '--' only confuses.
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new UsageError(message.replace(/\. To specify a positional argument.*$/, ''));
  }
}

/** An integer option in [min, max], or `fallback` when the option is absent. */
export function integerOption(
  value: string | undefined,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got '${value}'`);
  }
  return parsed;
}

/** A number option from `min` to `max` (fractions allowed, unlike integerOption); `fallback` when absent. */
export function numberOption(value: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < min || parsed > max) throw new UsageError(`--${name} must be a number from ${min} to ${max}, got '${value}'`);
  return parsed;
}

/** Exactly `count` positional arguments, named in the message when one is missing or extra. */
export function positionals(values: string[], names: string[]): string[] {
  if (values.length < names.length) throw new UsageError(`missing <${names[values.length]}>`);
  if (values.length > names.length) throw new UsageError(`unexpected argument '${values[names.length]}'`);
  return values;
}

/** One of the allowed strings, or `fallback` when absent. */
export function choiceOption<C extends string>(
  value: string | undefined,
  name: string,
  choices: readonly C[],
  fallback: C,
): C {
  if (value === undefined) return fallback;
  if (!(choices as readonly string[]).includes(value)) {
    throw new UsageError(`--${name} must be one of ${choices.join(', ')}, got '${value}'`);
  }
  return value as C;
}
