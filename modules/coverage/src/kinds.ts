import { z } from 'zod';

const int = (min: number, max: number) => z.number().int().min(min).max(max);
const hex16 = z.string().regex(/^0x[0-9a-f]{32}$/, '16 bytes, 0x-prefixed lowercase hex');
const bytes32 = z.string().regex(/^0x[0-9a-f]{64}$/, '32 bytes, 0x-prefixed lowercase hex');
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'a 0x-prefixed 20-byte address');
/** The client's 65-byte signature; optional in the schema so that a missing one gets its own reason code. */
const clientSig = z
  .string()
  .regex(/^0x[0-9a-fA-F]{130}$/, '65 bytes r‖s‖v, 0x-prefixed hex')
  .optional();

/** A challenged hotspot's beacon: the round it answers, its nonce and how it transmitted. */
export const beaconBody = z
  .object({
    round: int(1, Number.MAX_SAFE_INTEGER),
    nonce: hex16,
    frequencyKhz: int(1, 10_000_000),
    /** Transmit power including antenna gain, 0.1 dBm. */
    eirpDdbm: int(-1_000, 1_000),
    /** Antenna gain, 0.1 dBi. */
    gainDdbi: int(-1_000, 1_000),
  })
  .strict();

/** A hotspot heard a beacon packet: what, how strong, on which frequency, when (device clock, ms). */
export const witnessBody = z
  .object({
    packet: hex16,
    rssiDdbm: int(-2_000, 500),
    snrDdb: int(-500, 500),
    frequencyKhz: int(1, 10_000_000),
    gainDdbi: int(-1_000, 1_000),
    time: int(0, Number.MAX_SAFE_INTEGER),
  })
  .strict();

/** A client opened a data session with this hotspot: the client's signed authorization (EIP-712). */
export const sessionBody = z
  .object({
    sessionId: bytes32,
    client: address,
    maxCredits: z.string().regex(/^\d{1,30}$/, 'a decimal integer of credits'),
    /** Unix seconds. */
    deadline: int(0, 2 ** 40),
    chainId: int(1, Number.MAX_SAFE_INTEGER),
    credits: address,
    clientSig,
  })
  .strict();

/** The client's signed count of bytes received so far in the session. */
export const receiptBody = z
  .object({
    sessionId: bytes32,
    client: address,
    counter: int(1, Number.MAX_SAFE_INTEGER),
    cumulativeBytes: int(0, Number.MAX_SAFE_INTEGER),
    chainId: int(1, Number.MAX_SAFE_INTEGER),
    credits: address,
    clientSig,
  })
  .strict();

export type BeaconBody = z.infer<typeof beaconBody>;
export type WitnessBody = z.infer<typeof witnessBody>;
export type SessionBody = z.infer<typeof sessionBody>;
export type ReceiptBody = z.infer<typeof receiptBody>;
