import { describe, expect, it } from 'vitest';
import {
  beaconPacket,
  challengeSlotOf,
  challengeSlots,
  commitSecret,
  deriveEntropy,
  type EntropyRound,
  isChallenged,
  verifyEntropyRound,
} from './entropy.ts';

const s1 = `0x${'01'.repeat(32)}` as const;
const s2 = `0x${'02'.repeat(32)}` as const;
const block = `0x${'aa'.repeat(32)}` as const;

function round(n: number, secret: `0x${string}`, next: `0x${string}`, prev?: EntropyRound): EntropyRound {
  return {
    round: n,
    blockNumber: 10 + n,
    blockHash: block,
    secret,
    commitment: prev ? prev.nextCommitment : null,
    nextCommitment: commitSecret(next),
    entropy: deriveEntropy({ round: n, blockHash: block, secret }),
    issuedAt: 1_000 * n,
  };
}

describe('challenge entropy', () => {
  it('chains rounds by commitments that anyone can check', () => {
    const r1 = round(1, s1, s2);
    const r2 = round(2, s2, s1, r1);
    expect(verifyEntropyRound(r1)).toBeNull();
    expect(verifyEntropyRound(r2, r1)).toBeNull();
  });

  it('detects a round whose secret was swapped after its commitment', () => {
    const r1 = round(1, s1, s2);
    const forged = round(2, `0x${'03'.repeat(32)}`, s1);
    expect(verifyEntropyRound(forged, r1)).toBe('COMMITMENT_MISMATCH');
    expect(verifyEntropyRound({ ...r1, entropy: `0x${'00'.repeat(32)}` })).toBe('ENTROPY_MISMATCH');
  });

  it('changes completely with the block hash, the secret or the round', () => {
    const base = deriveEntropy({ round: 1, blockHash: block, secret: s1 });
    expect(deriveEntropy({ round: 2, blockHash: block, secret: s1 })).not.toBe(base);
    expect(deriveEntropy({ round: 1, blockHash: `0x${'ab'.repeat(32)}`, secret: s1 })).not.toBe(base);
    expect(deriveEntropy({ round: 1, blockHash: block, secret: s2 })).not.toBe(base);
  });

  it('binds a beacon packet to the entropy, the device and the nonce', () => {
    const e = deriveEntropy({ round: 1, blockHash: block, secret: s1 });
    const p = beaconPacket(e, `0x${'0a'.repeat(32)}`, `0x${'00'.repeat(16)}`);
    expect(p).toMatch(/^0x[0-9a-f]{32}$/);
    expect(beaconPacket(e, `0x${'0b'.repeat(32)}`, `0x${'00'.repeat(16)}`)).not.toBe(p);
    expect(beaconPacket(e, `0x${'0a'.repeat(32)}`, `0x${'01'.repeat(16)}`)).not.toBe(p);
    expect(
      beaconPacket(
        deriveEntropy({ round: 2, blockHash: block, secret: s1 }),
        `0x${'0a'.repeat(32)}`,
        `0x${'00'.repeat(16)}`,
      ),
    ).not.toBe(p);
  });

  it('challenges each hotspot in about one round in `slots`', () => {
    const slots = challengeSlots(21_600, 60);
    expect(slots).toBe(360);
    const device = `0x${'0c'.repeat(32)}`;
    let hits = 0;
    const rounds = 36_000;
    for (let r = 1; r <= rounds; r++) {
      if (isChallenged(deriveEntropy({ round: r, blockHash: block, secret: s1 }), device, slots)) hits++;
    }
    expect(hits).toBeGreaterThan(60);
    expect(hits).toBeLessThan(145);
    expect(challengeSlotOf(device, slots)).toBe(challengeSlotOf(device, slots));
  });
});
