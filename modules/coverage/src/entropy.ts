/**
 * Challenge entropy, beacon packets and fair witness selection.
 *
 * Scheme (docs/COVERAGE.md, "Challenges"): the node keeps a chain of secrets
 * and publishes, with round k, the commitment `H(s_{k+1})` to the next
 * round's secret. Round k's entropy is
 * `e_k = sha256("gw.coverage.entropy" ‖ k ‖ blockHash_k ‖ s_k)` where
 * `blockHash_k` is the hash of the latest block the node saw when issuing.
 * Before issuance nobody else knows `s_k`, so nobody can compute `e_k`; the
 * node itself committed to `s_k` one round earlier, before `blockHash_k`
 * existed, so it cannot grind `s_k` against the block either. Anyone checks a
 * published round with {@link verifyEntropyRound}.
 *
 * SHA-256 (node:crypto) rather than keccak: none of these values is checked
 * on chain, and the epoch and the simulation hash millions of them.
 *
 * @module
 */
import { createHash } from 'node:crypto';

/** 0x-prefixed lowercase hex. */
export type HexString = `0x${string}`;

function sha256(...parts: (string | Uint8Array)[]): Buffer {
  const h = createHash('sha256');
  for (const p of parts) h.update(typeof p === 'string' ? Buffer.from(p, 'utf8') : p);
  return h.digest();
}

function bytes(hex: string): Buffer {
  return Buffer.from(hex.startsWith('0x') ? hex.slice(2) : hex, 'hex');
}

function u64be(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
}

const hex = (b: Buffer): HexString => `0x${b.toString('hex')}`;

/** Commitment to a round secret: sha256 of its 32 bytes. */
export function commitSecret(secret: HexString): HexString {
  return hex(sha256(bytes(secret)));
}

/** Entropy of round `round` from the block hash the node saw and the round's secret. */
export function deriveEntropy(o: { round: number; blockHash: HexString; secret: HexString }): HexString {
  return hex(sha256('gw.coverage.entropy', u64be(o.round), bytes(o.blockHash), bytes(o.secret)));
}

/** A published entropy round, as the API and the epoch bundle carry it. */
export interface EntropyRound {
  round: number;
  blockNumber: number;
  blockHash: HexString;
  /** The round's secret, revealed with the round. */
  secret: HexString;
  /** Commitment to this round's secret, published with the previous round (absent for the first). */
  commitment: HexString | null;
  /** Commitment to the next round's secret. */
  nextCommitment: HexString;
  entropy: HexString;
  issuedAt: number;
}

/**
 * Checks a published round: its entropy follows from its block hash and
 * secret, and its secret matches the commitment of the previous round.
 * Returns a reason code, or `null` when consistent.
 */
export function verifyEntropyRound(
  r: EntropyRound,
  previous?: EntropyRound,
): 'ENTROPY_MISMATCH' | 'COMMITMENT_MISMATCH' | null {
  if (deriveEntropy(r) !== r.entropy) return 'ENTROPY_MISMATCH';
  if (previous && previous.nextCommitment !== commitSecret(r.secret)) return 'COMMITMENT_MISMATCH';
  if (r.commitment && r.commitment !== commitSecret(r.secret)) return 'COMMITMENT_MISMATCH';
  return null;
}

/**
 * The radio packet a challenged hotspot broadcasts: the first 16 bytes of
 * sha256(entropy ‖ device id ‖ nonce). Binding the entropy makes a beacon
 * impossible to prepare before its round; binding the device stops a hotspot
 * claiming another's beacon; the nonce (16 random bytes of the beaconer)
 * keeps the packet unknown to anyone who did not hear it.
 */
export function beaconPacket(entropy: HexString, deviceId: string, nonce: string): HexString {
  return hex(sha256(bytes(entropy), bytes(deviceId), bytes(nonce)).subarray(0, 16));
}

/** Challenge slots per beacon interval: round(interval / entropy period), at least 1. */
export function challengeSlots(beaconIntervalS: number, entropySeconds: number): number {
  return Math.max(1, Math.round(beaconIntervalS / entropySeconds));
}

/** A hotspot's challenge slot, fixed by its id: uint48 of sha256("slot" ‖ id) mod slots. */
export function challengeSlotOf(deviceId: string, slots: number): number {
  return sha256('gw.coverage.slot', bytes(deviceId)).readUIntBE(0, 6) % slots;
}

/** The slot a round challenges: uint48 of sha256("challenge" ‖ entropy) mod slots. */
export function challengedSlot(entropy: HexString, slots: number): number {
  return sha256('gw.coverage.challenge', bytes(entropy)).readUIntBE(0, 6) % slots;
}

/**
 * Whether round entropy `entropy` challenges `deviceId`: its slot is the
 * round's slot. Every hotspot is challenged with odds 1/slots per round,
 * unpredictably (the slot of a round is unknown until its entropy is).
 */
export function isChallenged(entropy: HexString, deviceId: string, slots: number): boolean {
  return challengedSlot(entropy, slots) === challengeSlotOf(deviceId, slots);
}

/**
 * Rank of a witness for fair selection: sha256(entropy ‖ packet ‖ witness id).
 * The lowest ranks win. Unknown before the entropy, reproducible after it,
 * independent of arrival order or signal strength.
 */
export function witnessRank(entropy: string, packet: string, witnessId: string): string {
  return sha256(bytes(entropy), bytes(packet), bytes(witnessId)).toString('hex');
}
