/** Errors cross threads as {name, message, stack, code} and come back as real Errors. */
import { expect, test } from 'vitest';
import { deserializeError, serializeError } from '../../../src/protocol/replica';
import { floatArraysChecksum } from '../../../src/core/checksum';

test('an error keeps its name, message, code and stack across structured clone', () => {
  const original = Object.assign(new TypeError('bad shard'), { code: 'BAD_SHARD' });
  const wire = structuredClone(serializeError(original));
  const rebuilt = deserializeError(wire);
  expect(rebuilt).toBeInstanceOf(Error);
  expect(rebuilt.name).toBe('TypeError');
  expect(rebuilt.message).toBe('bad shard');
  expect(rebuilt.code).toBe('BAD_SHARD');
  expect(rebuilt.stack).toBe(original.stack);
});

test('a thrown non-Error still crosses with its text', () => {
  expect(deserializeError(serializeError('plain string')).message).toBe('plain string');
});

test('checksums see a single flipped bit', () => {
  const a = [Float32Array.from([1, 2, 3]), Float32Array.from([4])];
  const b = a.map((x) => x.slice());
  new Uint32Array(b[1].buffer)[0] ^= 1;
  expect(floatArraysChecksum(a)).toBe(floatArraysChecksum(a.map((x) => x.slice())));
  expect(floatArraysChecksum(b)).not.toBe(floatArraysChecksum(a));
});
