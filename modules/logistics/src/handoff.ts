import { type Address, type Hex, recoverTypedDataAddress } from 'viem';
import type { HandoffMessage } from './schemas.ts';

/** EIP-712 domain name and version of custody hand-offs. */
export const HANDOFF_DOMAIN = { name: 'Groundwork Logistics', version: '1' } as const;

/** The EIP-712 type both parties sign. Positions are 1e-7 degrees; times are ms since the Unix epoch. */
export const HANDOFF_TYPES = {
  CustodyHandoff: [
    { name: 'shipment', type: 'bytes32' },
    { name: 'index', type: 'uint32' },
    { name: 'from', type: 'address' },
    { name: 'to', type: 'address' },
    { name: 'at', type: 'uint64' },
    { name: 'latE7', type: 'int32' },
    { name: 'lngE7', type: 'int32' },
    { name: 'place', type: 'string' },
    { name: 'note', type: 'string' },
  ],
} as const;

/**
 * The EIP-712 typed data of a hand-off, ready for `signTypedData` (viem,
 * wallets). The domain binds the chain and the network's AnchorRegistry, so a
 * signature cannot be replayed on another network; `shipment` and `index`
 * bind it to one place in one custody chain.
 *
 * @example
 * const sig = await account.signTypedData(handoffTypedData(msg, { chainId: 31337, anchorRegistry }));
 */
export function handoffTypedData(m: HandoffMessage, network: { chainId: number; anchorRegistry: Address }) {
  return {
    domain: { ...HANDOFF_DOMAIN, chainId: network.chainId, verifyingContract: network.anchorRegistry },
    types: HANDOFF_TYPES,
    primaryType: 'CustodyHandoff' as const,
    message: {
      shipment: m.shipment as Hex,
      index: m.index,
      from: m.from as Address,
      to: m.to as Address,
      at: BigInt(m.at),
      latE7: m.latE7,
      lngE7: m.lngE7,
      place: m.place,
      note: m.note,
    },
  };
}

/** The signer of a hand-off signature (lowercase), or null when the signature is malformed. */
export async function recoverHandoffSigner(
  m: HandoffMessage,
  signature: Hex,
  network: { chainId: number; anchorRegistry: Address },
): Promise<string | null> {
  try {
    const signer = await recoverTypedDataAddress({ ...handoffTypedData(m, network), signature });
    return signer.toLowerCase();
  } catch {
    return null;
  }
}

/** Which of the two parties' signatures fail to recover to that party (empty: both valid). */
export async function checkHandoffSignatures(
  m: HandoffMessage,
  signatures: { from: Hex; to: Hex },
  network: { chainId: number; anchorRegistry: Address },
): Promise<('from' | 'to')[]> {
  const bad: ('from' | 'to')[] = [];
  if ((await recoverHandoffSigner(m, signatures.from, network)) !== m.from.toLowerCase()) bad.push('from');
  if ((await recoverHandoffSigner(m, signatures.to, network)) !== m.to.toLowerCase()) bad.push('to');
  return bad;
}
