/**
 * Finds the members of a Keras 3 `.keras` zip (config.json, model.weights.h5) by reading only the zip's
 * central directory, through a random-access reader (a Node file handle, a Blob's slices). Keras writes the
 * archive stored, not deflated (saving_lib: `zipfile.ZipFile(f, "w")`), so the weights are a byte range of
 * the .keras file that HDF5 can read in place: nothing is unpacked into memory. A deflated member (an archive
 * re-zipped by hand) is inflated with fflate instead.
 */
import { inflateSync } from 'fflate';

/** Reads `length` bytes at `offset` (fewer at the end of the file). */
export type ReadRange = (offset: number, length: number) => Promise<Uint8Array>;

export interface ZipMember {
  name: string;
  /** 0 stored, 8 deflated. */
  method: number;
  /** Offset of the member's data in the archive. */
  dataOffset: number;
  compressedBytes: number;
  bytes: number;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

const u16 = (b: Uint8Array, at: number) => b[at] | (b[at + 1] << 8);
const u32 = (b: Uint8Array, at: number) => (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
const u64 = (b: Uint8Array, at: number) => u32(b, at) + u32(b, at + 4) * 2 ** 32;

export class ZipFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ZipFormatError';
  }
}

/** The members of a zip archive of `size` bytes. */
export async function zipMembers(read: ReadRange, size: number): Promise<ZipMember[]> {
  const tailLength = Math.min(size, 22 + 0xffff);
  const tail = await read(size - tailLength, tailLength);
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (u32(tail, i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new ZipFormatError('no end of central directory record (a truncated zip?)');
  let entries = u16(tail, eocd + 10);
  let directoryBytes = u32(tail, eocd + 12);
  let directoryOffset = u32(tail, eocd + 16);
  if (entries === 0xffff || directoryBytes === 0xffffffff || directoryOffset === 0xffffffff) {
    const locatorAt = eocd - 20;
    if (locatorAt < 0 || u32(tail, locatorAt) !== ZIP64_LOCATOR) throw new ZipFormatError('zip64 sizes without a zip64 locator');
    const record = await read(u64(tail, locatorAt + 8), 56);
    if (u32(record, 0) !== ZIP64_EOCD) throw new ZipFormatError('the zip64 end of central directory record is missing');
    entries = u64(record, 32);
    directoryBytes = u64(record, 40);
    directoryOffset = u64(record, 48);
  }
  const directory = await read(directoryOffset, directoryBytes);
  const members: ZipMember[] = [];
  let at = 0;
  for (let n = 0; n < entries; n++) {
    if (u32(directory, at) !== CENTRAL) throw new ZipFormatError(`central directory entry ${n + 1} is damaged`);
    const method = u16(directory, at + 10);
    let compressedBytes = u32(directory, at + 20);
    let bytes = u32(directory, at + 24);
    const nameLength = u16(directory, at + 28);
    const extraLength = u16(directory, at + 30);
    const commentLength = u16(directory, at + 32);
    let localOffset = u32(directory, at + 42);
    const name = new TextDecoder().decode(directory.subarray(at + 46, at + 46 + nameLength));
    // Zip64 extra field: the 0xFFFFFFFF fields, in the order uncompressed, compressed, local offset.
    let extra = at + 46 + nameLength;
    const extraEnd = extra + extraLength;
    while (extra + 4 <= extraEnd) {
      const id = u16(directory, extra);
      const length = u16(directory, extra + 2);
      if (id === 0x0001) {
        let field = extra + 4;
        if (bytes === 0xffffffff) (bytes = u64(directory, field)), (field += 8);
        if (compressedBytes === 0xffffffff) (compressedBytes = u64(directory, field)), (field += 8);
        if (localOffset === 0xffffffff) localOffset = u64(directory, field);
      }
      extra += 4 + length;
    }
    members.push({ name, method, dataOffset: localOffset, compressedBytes, bytes });
    at = extraEnd + commentLength;
  }
  // The data starts after the local header, whose name and extra lengths may differ from the central ones.
  for (const member of members) {
    const local = await read(member.dataOffset, 30);
    if (u32(local, 0) !== LOCAL) throw new ZipFormatError(`the local header of ${member.name} is missing`);
    member.dataOffset += 30 + u16(local, 26) + u16(local, 28);
  }
  return members;
}

/** The whole (inflated) content of a small member such as config.json. */
export async function readZipMember(read: ReadRange, member: ZipMember): Promise<Uint8Array> {
  const raw = await read(member.dataOffset, member.compressedBytes);
  if (member.method === 0) return raw;
  if (member.method === 8) return inflateSync(raw, { out: new Uint8Array(member.bytes) });
  throw new ZipFormatError(`${member.name} is compressed with method ${member.method}; only stored and deflated members can be read`);
}

/** The two members of a Keras 3 archive; `weights` is null when the archive has no model.weights.h5. */
export async function kerasZipMembers(read: ReadRange, size: number): Promise<{ config: unknown; weights: ZipMember | null; names: string[] }> {
  const members = await zipMembers(read, size);
  const configMember = members.find((m) => m.name === 'config.json');
  let config: unknown = null;
  if (configMember) {
    const text = new TextDecoder().decode(await readZipMember(read, configMember));
    try {
      config = JSON.parse(text);
    } catch (error) {
      throw new ZipFormatError(`config.json in the archive is not valid JSON: ${(error as Error).message}`);
    }
  }
  return { config, weights: members.find((m) => m.name === 'model.weights.h5') ?? null, names: members.map((m) => m.name) };
}
