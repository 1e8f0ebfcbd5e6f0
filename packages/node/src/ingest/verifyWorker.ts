/**
 * A signature-verification worker: receives batches of (key, message,
 * signature) and answers one boolean per item. Public keys are parsed once
 * and cached, as ingest sees the same devices again and again.
 */
import type { KeyObject } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import { type KeyType, publicKeyObject, verifyBytes } from '@groundwork/protocol';
import type { VerifyBatchRequest } from './verifyPool.ts';

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
  const ok = new Uint8Array(req.items.length);
  for (let i = 0; i < req.items.length; i++) {
    const it = req.items[i]!;
    try {
      ok[i] = verifyBytes(it.keyType, keyOf(it.keyType, it.publicKey), it.message, it.signature) ? 1 : 0;
    } catch {
      ok[i] = 0;
    }
  }
  parentPort!.postMessage({ id: req.id, ok }, [ok.buffer]);
});
