/**
 * A 64-bit FNV-1a style hash (two 32-bit lanes) of the exact bits of float arrays: replicas that hold the
 * same weights bit for bit get the same string; one flipped bit changes it.
 */
export function floatArraysChecksum(arrays: readonly Float32Array[]): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ arrays.length;
  for (const array of arrays) {
    const words = new Uint32Array(array.buffer, array.byteOffset, array.length);
    for (let i = 0; i < words.length; i++) {
      const w = words[i];
      h1 = Math.imul(h1 ^ w, 0x01000193);
      h2 = Math.imul(h2 ^ ((w >>> 16) | (w << 16)), 0x5bd1e995);
    }
    h1 = Math.imul(h1 ^ array.length, 0x01000193);
  }
  return (h1 >>> 0).toString(16).padStart(8, '0') + (h2 >>> 0).toString(16).padStart(8, '0');
}
