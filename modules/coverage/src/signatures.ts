/**
 * EIP-712 messages a data client signs, and their synchronous verification
 * (the module's `verify` is synchronous). Domain: DataCredits
 * ("GroundworkDataCredits", version "1", chain id, contract address).
 *
 * @module
 */
import { secp256k1 } from '@noble/curves/secp256k1';
import { type Address, type Hex, hashTypedData, keccak256 } from 'viem';

export interface CreditsDomain {
  chainId: number;
  verifyingContract: Address;
}

const domainOf = (d: CreditsDomain) => ({
  name: 'GroundworkDataCredits',
  version: '1',
  chainId: d.chainId,
  verifyingContract: d.verifyingContract,
});

/** What a client signs to open a session with a hotspot; DataCredits checks it again when it debits. */
export interface SessionAuthorization {
  sessionId: Hex;
  /** The hotspot's device id as uint256 (its DeviceRegistry token id). */
  provider: bigint;
  maxCredits: bigint;
  deadline: bigint;
}

/** What a client signs for the data it has received so far in a session (cumulative, never decreasing). */
export interface UsageReceipt {
  sessionId: Hex;
  provider: bigint;
  counter: bigint;
  cumulativeBytes: bigint;
}

export function sessionAuthorizationTypedData(domain: CreditsDomain, m: SessionAuthorization) {
  return {
    domain: domainOf(domain),
    types: {
      SessionAuthorization: [
        { name: 'sessionId', type: 'bytes32' },
        { name: 'provider', type: 'uint256' },
        { name: 'maxCredits', type: 'uint256' },
        { name: 'deadline', type: 'uint64' },
      ],
    } as const,
    primaryType: 'SessionAuthorization' as const,
    message: m,
  };
}

export function usageReceiptTypedData(domain: CreditsDomain, m: UsageReceipt) {
  return {
    domain: domainOf(domain),
    types: {
      UsageReceipt: [
        { name: 'sessionId', type: 'bytes32' },
        { name: 'provider', type: 'uint256' },
        { name: 'counter', type: 'uint64' },
        { name: 'cumulativeBytes', type: 'uint64' },
      ],
    } as const,
    primaryType: 'UsageReceipt' as const,
    message: m,
  };
}

/**
 * The address that produced a 65-byte signature (r ‖ s ‖ v) over a 32-byte
 * digest, or `null` for a malformed or high-s signature. Synchronous.
 */
export function recoverSigner(digest: Hex, signature: string): Address | null {
  if (!/^0x[0-9a-fA-F]{130}$/.test(signature)) return null;
  try {
    const v = Number.parseInt(signature.slice(130, 132), 16);
    const bit = v >= 27 ? v - 27 : v;
    if (bit !== 0 && bit !== 1) return null;
    const sig = secp256k1.Signature.fromCompact(signature.slice(2, 130));
    if (sig.hasHighS()) return null;
    const pub = sig.addRecoveryBit(bit).recoverPublicKey(digest.slice(2)).toRawBytes(false);
    return `0x${keccak256(pub.slice(1)).slice(-40)}` as Address;
  } catch {
    return null;
  }
}

/** Whether `signature` over the session authorization comes from `client`. */
export function isSessionSignedBy(
  domain: CreditsDomain,
  m: SessionAuthorization,
  signature: string,
  client: string,
): boolean {
  const signer = recoverSigner(hashTypedData(sessionAuthorizationTypedData(domain, m)), signature);
  return signer !== null && signer.toLowerCase() === client.toLowerCase();
}

/** Whether `signature` over the usage receipt comes from `client`. */
export function isReceiptSignedBy(
  domain: CreditsDomain,
  m: UsageReceipt,
  signature: string,
  client: string,
): boolean {
  const signer = recoverSigner(hashTypedData(usageReceiptTypedData(domain, m)), signature);
  return signer !== null && signer.toLowerCase() === client.toLowerCase();
}
