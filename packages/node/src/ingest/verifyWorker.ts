/**
 * A signature-verification worker: receives batches of (key, message,
 * signature) and answers one boolean per item, and how many keys it had to
 * parse for them. Public keys are parsed once and kept in a bounded cache
 * (keyCache.ts), as ingest sees the same devices again and again.
 */
import type { KeyObject } from 'node:crypto';
import { getPriority, setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { type KeyType, publicKeyObject, verifyBytes } from '@groundwork/protocol';
import { KeyCache } from './keyCache.ts';
import type { VerifyBatchReply, VerifyBatchRequest, VerifyWorkerData } from './verifyPool.ts';

// On Linux nice is per thread, and pid 0 names this thread alone; it starts at its creator's.
const { nice, maxCachedKeys } = workerData as VerifyWorkerData;
if (nice > 0) {
  try {
    setPriority(Math.min(19, getPriority() + nice));
  } catch {
    // A sandbox that forbids it: the worker runs at its creator's priority, as with nice 0.
  }
}

const keys = new KeyCache<string, KeyObject>(maxCachedKeys);

function keyOf(keyType: KeyType, raw: Uint8Array): KeyObject {
  // The bytes alone name the key: the two types' keys differ in length (32 bytes, 64), and bytes
  // of the wrong length for their type fail to parse, so nothing is cached for them.
  const id = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64');
  return keys.get(id, () => publicKeyObject(keyType, raw));
}

parentPort!.on('message', (req: VerifyBatchRequest) => {
  const { keyTypes, lengths, data } = req;
  const ok = new Uint8Array(keyTypes.length);
  const misses = keys.misses;
  let pos = 0;
  for (let i = 0; i < keyTypes.length; i++) {
    const key = data.subarray(pos, (pos += lengths[3 * i]!));
    const signature = data.subarray(pos, (pos += lengths[3 * i + 1]!));
    const message = data.subarray(pos, (pos += lengths[3 * i + 2]!));
    const keyType: KeyType = keyTypes[i] === 1 ? 'ed25519' : 'p256';
    try {
      ok[i] = verifyBytes(keyType, keyOf(keyType, key), message, signature) ? 1 : 0;
    } catch {
      ok[i] = 0;
    }
  }
  const reply: VerifyBatchReply = { id: req.id, ok, keyImports: keys.misses - misses };
  parentPort!.postMessage(reply, [ok.buffer]);
});
