/**
 * replicaStateFormat: a mirrored checkpoint of any replica model as two files, `checkpoint.json` (epoch,
 * step, model spec, the length of every state array) and `state.bin` (the arrays one after another, f32).
 * The default MirroredCheckpointFormat; the caption model's runs use captionCheckpointFormat (caption.ts).
 */
import type { CheckpointFiles, CheckpointStore } from '../training/checkpoint.ts';
import type { MirroredCheckpoint, MirroredCheckpointFormat } from './types.ts';

interface StateHeader {
  epoch: number;
  step: number;
  model: MirroredCheckpoint['model'];
  /** Element count of every state array, in order. */
  lengths: number[];
}

export const replicaStateFormat: MirroredCheckpointFormat = {
  encode({ epoch, step, model, state }): CheckpointFiles {
    const flat = new Float32Array(state.reduce((n, a) => n + a.length, 0));
    let offset = 0;
    for (const array of state) {
      flat.set(array, offset);
      offset += array.length;
    }
    const header: StateHeader = { epoch, step, model, lengths: state.map((a) => a.length) };
    return { 'checkpoint.json': JSON.stringify(header), 'state.bin': new Uint8Array(flat.buffer) };
  },
  async decode(files): Promise<MirroredCheckpoint> {
    const json = files['checkpoint.json'];
    const bytes = files['state.bin'];
    if (!json || !bytes) throw new Error(`not a replica-state checkpoint: it has ${Object.keys(files).join(', ') || 'no files'}, expected checkpoint.json and state.bin`);
    const header = JSON.parse(new TextDecoder().decode(json)) as StateHeader;
    const flat = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    const expected = header.lengths.reduce((a, b) => a + b, 0);
    if (flat.length !== expected) throw new Error(`state.bin holds ${flat.length} values, checkpoint.json describes ${expected}`);
    const state: Float32Array[] = [];
    let offset = 0;
    for (const length of header.lengths) {
      state.push(flat.slice(offset, offset + length));
      offset += length;
    }
    return { epoch: header.epoch, step: header.step, model: header.model, state };
  },
};

/**
 * A store and format pair that remembers the last checkpoint saved through it or loaded from it, so a
 * caller knows the run's model without asking a worker (which may be gone) or reading the store back.
 */
export function rememberingLatest(
  store: CheckpointStore,
  format: MirroredCheckpointFormat,
): { store: CheckpointStore; format: MirroredCheckpointFormat; latest(): MirroredCheckpoint | null } {
  let latest: MirroredCheckpoint | null = null;
  let encoded: MirroredCheckpoint | null = null;
  return {
    store: {
      location: store.location,
      async save(files) {
        const checkpoint = encoded;
        await store.save(files);
        latest = checkpoint;
      },
      load: () => store.load(),
    },
    format: {
      encode(checkpoint) {
        encoded = checkpoint;
        return format.encode(checkpoint);
      },
      async decode(files) {
        return (latest = await format.decode(files));
      },
    },
    latest: () => latest,
  };
}
