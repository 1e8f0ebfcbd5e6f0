import { keccak_256 } from '@noble/hashes/sha3.js';
import {
  type Address,
  bytesToHex,
  type Hex,
  hashDomain,
  hexToBytes,
  recoverAddress,
  recoverTypedDataAddress,
} from 'viem';
import { privateKeyToAccount, sign } from 'viem/accounts';

/** EIP-712 types of the market's off-chain messages (docs/ENERGY.md §4). */
export const MARKET_TYPES = {
  Order: [
    { name: 'slot', type: 'uint64' },
    { name: 'meter', type: 'bytes32' },
    { name: 'side', type: 'uint8' },
    { name: 'volumeWh', type: 'uint64' },
    { name: 'price', type: 'uint64' },
    { name: 'nonce', type: 'uint64' },
  ],
  OrderBatch: [
    { name: 'account', type: 'address' },
    { name: 'orders', type: 'Order[]' },
  ],
  CancelOrders: [
    { name: 'account', type: 'address' },
    { name: 'orderIds', type: 'bytes32[]' },
  ],
} as const;

/** The EIP-712 domain: the EnergyMarket contract on its chain, so an order cannot be replayed on another network. */
export interface MarketDomain {
  chainId: number;
  market: Address;
}

export function marketDomain(d: MarketDomain) {
  return {
    name: 'GroundworkEnergyMarket',
    version: '1',
    chainId: d.chainId,
    verifyingContract: d.market,
  } as const;
}

/** An order as its account signs it. `side` 0 is a bid (buy), 1 an ask (sell). */
export interface Order {
  slot: number;
  /** The meter (device id) whose reads settle the order. */
  meter: Hex;
  side: 'bid' | 'ask';
  volumeWh: number;
  /** Base units of the settlement token per kWh: a bid's most, an ask's least. */
  price: number;
  /** Any number that makes otherwise equal orders distinct. */
  nonce: number;
}

/** A batch of orders and the signature of its account over them. */
export interface SignedOrderBatch {
  account: Address;
  orders: Order[];
  signature: Hex;
}

const toMessage = (o: Order) => ({
  slot: BigInt(o.slot),
  meter: o.meter,
  side: o.side === 'bid' ? 0 : 1,
  volumeWh: BigInt(o.volumeWh),
  price: BigInt(o.price),
  nonce: BigInt(o.nonce),
});

/** The typed data an account signs to place `orders`. */
export function orderBatchTypedData(domain: MarketDomain, account: Address, orders: readonly Order[]) {
  return {
    domain: marketDomain(domain),
    types: MARKET_TYPES,
    primaryType: 'OrderBatch' as const,
    message: { account, orders: orders.map(toMessage) },
  };
}

/** The typed data an account signs to cancel orders. */
export function cancelTypedData(domain: MarketDomain, account: Address, orderIds: readonly Hex[]) {
  return {
    domain: marketDomain(domain),
    types: MARKET_TYPES,
    primaryType: 'CancelOrders' as const,
    message: { account, orderIds: [...orderIds] },
  };
}

const utf8 = (t: string) => new TextEncoder().encode(t);
const ORDER_TYPE = 'Order(uint64 slot,bytes32 meter,uint8 side,uint64 volumeWh,uint64 price,uint64 nonce)';
const ORDER_TYPEHASH = keccak_256(utf8(ORDER_TYPE));
const BATCH_TYPEHASH = keccak_256(utf8(`OrderBatch(address account,Order[] orders)${ORDER_TYPE}`));
const domainSeparators = new Map<string, Uint8Array>();

/** Writes a safe integer as a 32-byte big-endian word at `at` (the buffer is zero there). */
function putWord(buf: Uint8Array, at: number, value: number): void {
  const view = new DataView(buf.buffer, buf.byteOffset);
  view.setUint32(at + 24, Math.floor(value / 2 ** 32));
  view.setUint32(at + 28, value >>> 0);
}

/**
 * The EIP-712 `hashStruct` of an order, computed directly from its seven
 * 32-byte words (typehash, slot, meter, side, volumeWh, price, nonce) — the
 * same value as viem's `hashStruct`, without its generic encoder: batches of
 * thousands of orders are hashed on every submission. The numbers must be
 * safe integers (the API and `submitOrders` check it).
 */
export function hashOrder(o: Order): Uint8Array {
  const buf = new Uint8Array(7 * 32);
  buf.set(ORDER_TYPEHASH, 0);
  putWord(buf, 32, o.slot);
  buf.set(hexToBytes(o.meter, { size: 32 }), 64);
  putWord(buf, 96, o.side === 'bid' ? 0 : 1);
  putWord(buf, 128, o.volumeWh);
  putWord(buf, 160, o.price);
  putWord(buf, 192, o.nonce);
  return keccak_256(buf);
}

function accountWord(account: Address): Uint8Array {
  const w = new Uint8Array(32);
  w.set(hexToBytes(account, { size: 20 }), 12);
  return w;
}

/**
 * An order's id: `keccak256(abi.encode(address account, bytes32 hashStruct(Order)))`. The same order placed by
 * two accounts has two ids; one account placing the same order twice must change the nonce.
 */
export function orderId(account: Address, order: Order, structHash: Uint8Array = hashOrder(order)): Hex {
  const buf = new Uint8Array(64);
  buf.set(accountWord(account), 0);
  buf.set(structHash, 32);
  return bytesToHex(keccak_256(buf));
}

/** The EIP-712 digest of an order batch (what the account's key signs), from its orders' struct hashes. */
export function orderBatchDigest(
  domain: MarketDomain,
  account: Address,
  structHashes: readonly Uint8Array[],
): Hex {
  const key = `${domain.chainId}:${domain.market.toLowerCase()}`;
  let separator = domainSeparators.get(key);
  if (!separator) {
    separator = hexToBytes(
      hashDomain({
        domain: { ...marketDomain(domain), chainId: BigInt(domain.chainId) },
        types: {
          EIP712Domain: [
            { name: 'name', type: 'string' },
            { name: 'version', type: 'string' },
            { name: 'chainId', type: 'uint256' },
            { name: 'verifyingContract', type: 'address' },
          ],
        },
      }),
    );
    domainSeparators.set(key, separator);
  }
  const all = new Uint8Array(32 * structHashes.length);
  for (let i = 0; i < structHashes.length; i++) all.set(structHashes[i]!, 32 * i);
  const struct = new Uint8Array(96);
  struct.set(BATCH_TYPEHASH, 0);
  struct.set(accountWord(account), 32);
  struct.set(keccak_256(all), 64);
  const digest = new Uint8Array(66);
  digest.set([0x19, 0x01], 0);
  digest.set(separator, 2);
  digest.set(keccak_256(struct), 34);
  return bytesToHex(keccak_256(digest));
}

/** Signs a batch of orders with an account's private key: the same signature as a wallet's `signTypedData`. */
export async function signOrderBatch(
  privateKey: Hex,
  domain: MarketDomain,
  orders: Order[],
): Promise<SignedOrderBatch> {
  const account = privateKeyToAccount(privateKey);
  const hash = orderBatchDigest(domain, account.address, orders.map(hashOrder));
  const signature = await sign({ hash, privateKey, to: 'hex' });
  return { account: account.address, orders, signature };
}

/** Signs a cancellation. */
export async function signCancel(privateKey: Hex, domain: MarketDomain, orderIds: Hex[]) {
  const account = privateKeyToAccount(privateKey);
  const signature = await account.signTypedData(cancelTypedData(domain, account.address, orderIds));
  return { account: account.address, orderIds, signature };
}

/**
 * The address that signed a batch and the ids of its orders; the signer is
 * null when the signature does not recover.
 */
export async function recoverBatch(
  domain: MarketDomain,
  batch: SignedOrderBatch,
): Promise<{ signer: Address | null; orderIds: Hex[] }> {
  const hashes = batch.orders.map(hashOrder);
  const orderIds = hashes.map((h, i) => orderId(batch.account, batch.orders[i]!, h));
  try {
    const signer = await recoverAddress({
      hash: orderBatchDigest(domain, batch.account, hashes),
      signature: batch.signature,
    });
    return { signer, orderIds };
  } catch {
    return { signer: null, orderIds };
  }
}

/** The address that signed a cancellation, or null. */
export async function recoverCancelSigner(
  domain: MarketDomain,
  c: { account: Address; orderIds: Hex[]; signature: Hex },
): Promise<Address | null> {
  try {
    return await recoverTypedDataAddress({
      ...cancelTypedData(domain, c.account, c.orderIds),
      signature: c.signature,
    });
  } catch {
    return null;
  }
}

/**
 * What a buyer must have escrowed for its bids in one slot, base units:
 * `ceil(Σ volumeWh × max(price, importTariff) / 1000)` — enough to pay every
 * bid in full even if no seller delivers and the grid supplies it all.
 */
export function escrowNeeded(
  bids: readonly { volumeWh: number; price: number }[],
  tariffImport: bigint,
): bigint {
  let milli = 0n;
  for (const b of bids) {
    const p = BigInt(b.price);
    milli += BigInt(b.volumeWh) * (p > tariffImport ? p : tariffImport);
  }
  return (milli + 999n) / 1000n;
}
