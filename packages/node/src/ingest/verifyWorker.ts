/**
 * A signature-verification worker: receives batches of (key, message,
 * signature) and answers one boolean per item. Public keys are parsed once
 * and cached, as ingest sees the same devices again and again.
 */
import type { KeyObject } from 'node:crypto';
import { getPriority, setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { type KeyType, publicKeyObject, verifyBytes } from '@groundwork/protocol';
import type { VerifyBatchRequest, VerifyWorkerData } from './verifyPool.ts';

// On Linux nice is per thread, and pid 0 names this thread alone; it starts at its creator's.
const { nice } = workerData as VerifyWorkerData;
if (nice > 0) {
  try {
    setPriority(Math.min(19, getPriority() + nice));
  } catch {
    // A sandbox that forbids it: the worker runs at its creator's priority, as with nice 0.
  }
}

const keys = new Map<string, KeyObject>();
const MAX_CACHED = 1_000_000;

function keyOf(keyType: KeyType, raw: Uint8Array): KeyObject {
  const id = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64');
  let k = keys.get(id);
  if (!k) {
    if (keys.size >= MAX_CACHED) keys.clear();
    k = publicKeyObject(keyType, raw);
    keys.set(id, k);
  }
  return k;
}

parentPort!.on('message', (req: VerifyBatchRequest) => {
  const { keyTypes, lengths, data } = req;
  const ok = new Uint8Array(keyTypes.length);
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
  parentPort!.postMessage({ id: req.id, ok }, [ok.buffer]);
});
