import { deviceKeyFromSeed, fromHex, signEnvelope, toHex, VECTORS } from '@groundwork/protocol';
import { concat, keccak256, stringToBytes } from 'viem';
import { describe, expect, it } from 'vitest';
import { buildRecordTree, type Hash } from './merkle.ts';
import { PROOF_FORMAT, type Proof } from './proof.ts';
import { type ReadingRecord, sealRecord } from './records.ts';
import { verifyProof } from './verifyProof.ts';

// The vector of docs/LOGISTICS.md §5: the RFC 8032 test key of docs/PROTOCOL.md as a tracker.
const key = deviceKeyFromSeed('ed25519', fromHex(VECTORS.ed25519.seed));
const envelope = signEnvelope(
  {
    v: 1,
    device: key.deviceId,
    seq: 7,
    time: 1_767_225_660_000,
    kind: 'logistics.reading',
    body: {
      at: 1_767_225_600_000,
      tempMc: 4250,
      humidityPm: 612,
      position: { latE7: 519244000, lngE7: 44777000 },
      shockMg: 350,
    },
  },
  key,
);
const record: ReadingRecord = { type: 'logistics.reading', envelope };
const salt = `0x${'11'.repeat(32)}` as Hash;
const sibling = `0x${'22'.repeat(32)}` as Hash;
const JSON_TEXT =
  '{"envelope":{"body":{"at":1767225600000,"humidityPm":612,"position":{"latE7":519244000,"lngE7":44777000},"shockMg":350,"tempMc":4250},' +
  '"device":"0x51b746057452b9386e97bdf68ae4219609d5c3630e6ab4c70d03bcec7949f23e","kind":"logistics.reading","seq":7,' +
  '"sig":"0xf23ce59a9823be610f06faac84a1b2d1d52df757f7e347d0bfe097dc46a4b88acc4137aacae454ed72037494df147b6f1fb02664f2d6b171ba7cf68149c1db08",' +
  '"time":1767225660000,"v":1},"type":"logistics.reading"}';

describe('record encoding (the documented vector)', () => {
  const sealed = sealRecord(record, salt);

  it('encodes a record as RFC 8785 canonical JSON and ids it by its keccak256', () => {
    expect(sealed.json).toBe(JSON_TEXT);
    expect(sealed.id).toBe(keccak256(stringToBytes(JSON_TEXT)));
    expect(sealed.id).toBe('0x68fd84dcacbc1004ee58cd92ebfbe26c6e3c51da7bfeddf67203e31a652db6b3');
  });

  it('salts the leaf and folds it with its siblings as sorted pairs', () => {
    expect(sealed.leaf).toBe(keccak256(concat(['0x00', salt, sealed.id])));
    expect(sealed.leaf).toBe('0xa610b9e77739439842eea1a1f5361bef2f7658173b26a4342049bec05e201d7e');
    const tree = buildRecordTree([sealed.leaf, sibling]);
    const [lo, hi] = [sealed.leaf, sibling].sort() as [Hash, Hash];
    expect(tree.root).toBe(keccak256(concat([lo, hi])));
    expect(tree.root).toBe('0x02fe7cbd27a6fbd1f244edca9d35306c8a78a24931ee290d7c48ae26b920952f');
  });

  it('verifies offline (signature and path) and fails on an edited reading, naming the checks', async () => {
    const proof: Proof = {
      format: PROOF_FORMAT,
      version: 1,
      recordId: sealed.id,
      record: record as unknown as Record<string, unknown>,
      salt,
      leaf: sealed.leaf,
      path: [sibling],
      root: '0x02fe7cbd27a6fbd1f244edca9d35306c8a78a24931ee290d7c48ae26b920952f',
      anchor: {
        chainId: 31337,
        registry: `0x${'a1'.repeat(20)}`,
        topic: 'logistics',
        batch: 1,
        tx: `0x${'33'.repeat(32)}`,
        block: 1,
        anchoredAt: 1_767_225_700,
      },
      signer: {
        type: 'device',
        deviceId: key.deviceId,
        keyType: 'ed25519',
        publicKey: toHex(key.publicKey),
        deviceRegistry: `0x${'b2'.repeat(20)}`,
      },
    };
    const ok = await verifyProof(proof);
    expect([ok.ok, ok.checks.map((c) => c.name)]).toEqual([
      true,
      ['format', 'record id', 'leaf', 'device key', 'device signature', 'merkle path'],
    ]);
    const edited = structuredClone(proof);
    (edited.record as unknown as ReadingRecord).envelope.body = { ...envelope.body, tempMc: 4000 };
    expect((await verifyProof(edited)).failed).toEqual([
      'record id',
      'leaf',
      'device signature',
      'merkle path',
    ]);
    const stolen = {
      ...proof,
      signer: {
        ...proof.signer,
        publicKey: toHex(deviceKeyFromSeed('ed25519', new Uint8Array(32)).publicKey),
      },
    };
    expect((await verifyProof(stolen)).failed).toEqual(['device key', 'device signature']);
    expect((await verifyProof({ ...proof, path: [sibling.toUpperCase()] })).failed).toEqual(['format']);
  });
});
