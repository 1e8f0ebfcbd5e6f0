import { bytesToHex, encodeAbiParameters, hashStruct, hashTypedData, keccak256 } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { describe, expect, it } from 'vitest';
import {
  escrowNeeded,
  hashOrder,
  MARKET_TYPES,
  type Order,
  orderBatchDigest,
  orderBatchTypedData,
  orderId,
  recoverBatch,
  signOrderBatch,
} from './orders.ts';

const KEY = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d';
const domain = { chainId: 31337, market: '0x5FbDB2315678afecb367f032d93F642f64180aa3' } as const;
const orders: Order[] = [
  { slot: 2_020_224, meter: `0x${'ab'.repeat(32)}`, side: 'bid', volumeWh: 1500, price: 210_000, nonce: 0 },
  {
    slot: 2_020_225,
    meter: `0x${'cd'.repeat(32)}`,
    side: 'ask',
    volumeWh: 9_007_199_254_740_991,
    price: 1,
    nonce: 77,
  },
];
const message = (o: Order) => ({
  slot: BigInt(o.slot),
  meter: o.meter,
  side: o.side === 'bid' ? 0 : 1,
  volumeWh: BigInt(o.volumeWh),
  price: BigInt(o.price),
  nonce: BigInt(o.nonce),
});

describe('order signatures (EIP-712)', () => {
  it('hashes orders and batches exactly as viem’s generic EIP-712 encoder does', () => {
    for (const o of orders) {
      expect(bytesToHex(hashOrder(o))).toBe(
        hashStruct({ data: message(o), primaryType: 'Order', types: MARKET_TYPES }),
      );
    }
    const account = privateKeyToAccount(KEY).address;
    expect(orderBatchDigest(domain, account, orders.map(hashOrder))).toBe(
      hashTypedData(orderBatchTypedData(domain, account, orders)),
    );
  });

  it('gives an order the documented id: keccak256(abi.encode(account, hashStruct(order)))', () => {
    const account = privateKeyToAccount(KEY).address;
    const expected = keccak256(
      encodeAbiParameters(
        [{ type: 'address' }, { type: 'bytes32' }],
        [account, hashStruct({ data: message(orders[0]!), primaryType: 'Order', types: MARKET_TYPES })],
      ),
    );
    expect(orderId(account, orders[0]!)).toBe(expected);
  });

  it('signs like a wallet’s signTypedData, and recovers the signer and the order ids', async () => {
    const account = privateKeyToAccount(KEY);
    const batch = await signOrderBatch(KEY, domain, orders);
    expect(batch.signature).toBe(
      await account.signTypedData(orderBatchTypedData(domain, account.address, orders)),
    );
    const { signer, orderIds } = await recoverBatch(domain, batch);
    expect(signer).toBe(account.address);
    expect(orderIds).toEqual(orders.map((o) => orderId(account.address, o)));
    // Another chain or market, or a changed order, recovers someone else.
    expect((await recoverBatch({ ...domain, chainId: 1 }, batch)).signer).not.toBe(account.address);
    const changed = { ...batch, orders: [{ ...orders[0]!, price: 220_000 }, orders[1]!] };
    expect((await recoverBatch(domain, changed)).signer).not.toBe(account.address);
    expect((await recoverBatch(domain, { ...batch, signature: '0x1234' })).signer).toBeNull();
  });

  it('asks buyers to escrow every bid at the larger of its price and the import tariff, rounded up', () => {
    // 1500 Wh × 300,000 per kWh (the tariff is higher than 210,000) = 450,000; 1 Wh × 400,001 → 400.001 → 401.
    expect(escrowNeeded([{ volumeWh: 1500, price: 210_000 }], 300_000n)).toBe(450_000n);
    expect(escrowNeeded([{ volumeWh: 1, price: 400_001 }], 300_000n)).toBe(401n);
    expect(
      escrowNeeded(
        [
          { volumeWh: 1, price: 400_001 },
          { volumeWh: 1, price: 400_001 },
        ],
        300_000n,
      ),
    ).toBe(801n);
    expect(escrowNeeded([], 300_000n)).toBe(0n);
  });
});
