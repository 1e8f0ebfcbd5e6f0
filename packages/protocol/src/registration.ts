import type { KeyObject } from 'node:crypto';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { ProtocolError } from './errors.ts';
import { type Hex, toHex } from './hex.ts';
import type { KeyType } from './keys.ts';
import { signBytes, verifyBytes } from './signature.ts';

/** A 20-byte EVM address as `0x` + 40 hex digits (any case). */
export type Address = `0x${string}`;

/** keccak256("GroundworkDeviceRegistration"): the first word of the registration preimage. */
export const REGISTRATION_TYPEHASH: Hex = toHex(
  keccak_256(new TextEncoder().encode('GroundworkDeviceRegistration')),
);

/** Inputs of {@link registrationDigest}. */
export interface RegistrationDigestParameters {
  /** EVM chain id of the chain holding the DeviceRegistry. */
  chainId: bigint | number;
  /** DeviceRegistry contract address. */
  registry: Address;
  /** Operator address the device consents to be owned by. */
  operator: Address;
  /** The registry's current registration nonce for this device key (`keyNonce`). */
  nonce: bigint | number;
}

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const MAX_UINT256 = (1n << 256n) - 1n;

function uint256Word(value: bigint | number, name: string): Uint8Array {
  const n = typeof value === 'number' && Number.isSafeInteger(value) ? BigInt(value) : value;
  if (typeof n !== 'bigint' || n < 0n || n > MAX_UINT256) {
    throw new ProtocolError('INVALID_ARGUMENT', `${name} must be a uint256 (bigint or safe integer)`);
  }
  return Buffer.from(n.toString(16).padStart(64, '0'), 'hex');
}

function addressWord(address: string, name: string): Uint8Array {
  if (typeof address !== 'string' || !ADDRESS.test(address)) {
    throw new ProtocolError('INVALID_ARGUMENT', `${name} must be a 20-byte 0x address`);
  }
  // abi.encode left-pads an address to 32 bytes.
  return Buffer.from(address.slice(2).toLowerCase().padStart(64, '0'), 'hex');
}

/**
 * The ABI encoding `abi.encode(bytes32 typehash, uint256 chainId, address registry,
 * address operator, uint256 nonce)` — five 32-byte words, 160 bytes — whose keccak256 is the
 * registration digest.
 */
export function encodeRegistration(params: RegistrationDigestParameters): Uint8Array {
  const out = new Uint8Array(160);
  out.set(Buffer.from(REGISTRATION_TYPEHASH.slice(2), 'hex'), 0);
  out.set(uint256Word(params.chainId, 'chainId'), 32);
  out.set(addressWord(params.registry, 'registry'), 64);
  out.set(addressWord(params.operator, 'operator'), 96);
  out.set(uint256Word(params.nonce, 'nonce'), 128);
  return out;
}

/**
 * The 32-byte digest a device signs to consent to registration by an operator:
 * keccak256(abi.encode(keccak256("GroundworkDeviceRegistration"), chainId, registry, operator,
 * nonce)). Binding chain, registry and nonce stops the consent being replayed elsewhere.
 *
 * @example
 * registrationDigest({ chainId: 31337n, registry: '0x5FbD…0aa3', operator: '0xf39F…2266', nonce: 0n })
 */
export function registrationDigest(params: RegistrationDigestParameters): Uint8Array {
  return keccak_256(encodeRegistration(params));
}

function checkDigest(digest: Uint8Array): void {
  if (!(digest instanceof Uint8Array) || digest.length !== 32) {
    throw new ProtocolError('INVALID_ARGUMENT', 'registration digest must be 32 bytes');
  }
}

/**
 * The device's 64-byte registration signature over a {@link registrationDigest}: ed25519 signs
 * the 32 digest bytes directly; p256 signs them with ECDSA-SHA256 (SHA-256 of the 32 bytes),
 * low-s, encoded r || s.
 */
export function signRegistration(privateKey: KeyObject, keyType: KeyType, digest: Uint8Array): Uint8Array {
  checkDigest(digest);
  return signBytes(privateKey, keyType, digest);
}

/** Verify a registration signature made by {@link signRegistration} (p256 high-s is rejected). */
export function verifyRegistrationSignature(
  keyType: KeyType,
  publicKey: KeyObject,
  digest: Uint8Array,
  signature: Uint8Array,
): boolean {
  checkDigest(digest);
  return verifyBytes(keyType, publicKey, digest, signature);
}
