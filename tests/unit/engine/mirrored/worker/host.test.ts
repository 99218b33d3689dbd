/** The replica host answers every request: a message it does not know is an error naming it, not silence. */
import { expect, test } from 'vitest';
import { startReplicaHost } from '../../../../../src/engine/mirrored/worker/host';

test('an unknown message is answered with an error naming its type', async () => {
  const posted: unknown[] = [];
  let deliver: (data: unknown) => void = () => undefined;
  startReplicaHost({ postMessage: (message) => posted.push(message), onMessage: (listener) => void (deliver = listener), close: () => undefined }, {});
  deliver({ type: 'bogus', id: 5 });
  await expect.poll(() => posted.length).toBe(1);
  expect(posted[0]).toMatchObject({ type: 'error', id: 5, error: { message: expect.stringMatching(/unknown message type 'bogus'/) } });
});
