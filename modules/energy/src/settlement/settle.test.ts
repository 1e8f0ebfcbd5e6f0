import { describe, expect, it } from 'vitest';
import { type SettlementError, type SlotSettlementInput, settlementLeaves, settleSlot } from './settle.ts';

const addr = (tail: string) => `0x${tail.padStart(40, '0')}`;
export const A = {
  alice: addr('a11ce'),
  bob: addr('b0b'),
  carol: addr('ca201'),
  sol: addr('5015'),
  sun: addr('5a5'),
  grid: addr('6121d'),
};

/** The worked example of docs/ENERGY.md §5. */
export const WORKED_SETTLEMENT: SlotSettlementInput = {
  slot: 2_000_000,
  price: 210_000,
  trades: [
    { bidId: 'b-alice', askId: 'a-sol', volumeWh: 1500 },
    { bidId: 'b-bob', askId: 'a-sun', volumeWh: 1000 },
    { bidId: 'b-carol', askId: 'a-sun', volumeWh: 500 },
  ],
  orders: [
    { id: 'b-alice', side: 'bid', account: A.alice, meter: 'm-alice' },
    { id: 'b-bob', side: 'bid', account: A.bob, meter: 'm-bob' },
    { id: 'b-carol', side: 'bid', account: A.carol, meter: 'm-carol' },
    { id: 'a-sol', side: 'ask', account: A.sol, meter: 'm-sol' },
    { id: 'a-sun', side: 'ask', account: A.sun, meter: 'm-sun' },
  ],
  escrows: [
    { account: A.alice, amount: 450_000n },
    { account: A.bob, amount: 300_000n },
    { account: A.carol, amount: 150_000n },
  ],
  reads: {
    'm-sol': { whImport: 0, whExport: 1500 },
    'm-sun': { whImport: 0, whExport: 700 },
    'm-alice': { whImport: 1200, whExport: 0 },
    'm-bob': { whImport: 1000, whExport: 0 },
    // m-carol has no read for the slot: a gap.
  },
  tariffImport: 300_000n,
  tariffExport: 50_000n,
  gridAccount: A.grid,
};

describe('settleSlot', () => {
  it('settles the worked example of ENERGY.md exactly as the document shows', () => {
    const s = settleSlot(WORKED_SETTLEMENT);
    expect(s.trades.map((t) => [t.deliveredWh, t.consumedWh, t.gridSuppliedWh, t.gridAbsorbedWh])).toEqual([
      [1500, 1200, 0, 300],
      [700, 1000, 300, 0],
      [0, null, 0, 0],
    ]);
    const line = (a: string) => s.parties.find((p) => p.account === a)!;
    expect([line(A.alice).paid, line(A.alice).refund, line(A.alice).gridOnlyCost]).toEqual([
      300_000n,
      150_000n,
      360_000n,
    ]);
    expect([line(A.bob).paid, line(A.bob).refund, line(A.bob).gridOnlyCost]).toEqual([
      237_000n,
      63_000n,
      300_000n,
    ]);
    expect([line(A.carol).paid, line(A.carol).refund]).toEqual([0n, 150_000n]);
    expect([line(A.sol).earned, line(A.sun).earned]).toEqual([315_000n, 147_000n]);
    expect(s.grid).toEqual({ suppliedWh: 300, absorbedWh: 300, net: 75_000n });
    expect(Object.fromEntries(settlementLeaves(s).map((l) => [l.account, l.cumulativeAmount]))).toEqual({
      [A.alice]: 150_000n,
      [A.bob]: 63_000n,
      [A.carol]: 150_000n,
      [A.sol]: 315_000n,
      [A.sun]: 147_000n,
      [A.grid]: 75_000n,
    });
    expect(settlementLeaves(s).map((l) => l.account)).toEqual(
      [A.alice, A.bob, A.carol, A.sol, A.sun, A.grid].sort(),
    );
    expect([s.escrowTotal, s.gridDraw, s.total]).toEqual([900_000n, 0n, 900_000n]);
  });

  it('draws on the grid reserve when export credits outweigh the grid’s take', () => {
    const s = settleSlot({
      ...WORKED_SETTLEMENT,
      trades: [{ bidId: 'b-alice', askId: 'a-sol', volumeWh: 1500 }],
      escrows: [{ account: A.alice, amount: 450_000n }],
      reads: { 'm-sol': { whImport: 0, whExport: 1500 }, 'm-alice': { whImport: 100, whExport: 0 } },
    });
    // alice consumed 100 of 1500 delivered: 1400 Wh credited at 50/Wh = 70,000 from the reserve.
    expect(s.grid).toEqual({ suppliedWh: 0, absorbedWh: 1400, net: -70_000n });
    expect(s.gridDraw).toBe(70_000n);
    expect(s.total).toBe(520_000n);
    expect(Object.fromEntries(s.parties.map((p) => [p.account, p.amount]))).toEqual({
      [A.alice]: 450_000n - 315_000n + 70_000n,
      [A.sol]: 315_000n,
    });
  });

  it('rounds earnings down and payments up, leaving the remainder with the grid', () => {
    const s = settleSlot({
      ...WORKED_SETTLEMENT,
      price: 1_001,
      trades: [{ bidId: 'b-alice', askId: 'a-sol', volumeWh: 3 }],
      escrows: [{ account: A.alice, amount: 10n }],
      reads: { 'm-sol': { whImport: 0, whExport: 3 }, 'm-alice': { whImport: 3, whExport: 0 } },
    });
    // 3 Wh × 1,001 per kWh = 3.003 units: the buyer pays 4, the seller earns 3, the grid keeps 1.
    expect(Object.fromEntries(s.parties.map((p) => [p.account, [p.paid, p.earned, p.amount]]))).toEqual({
      [A.alice]: [4n, 0n, 6n],
      [A.sol]: [0n, 3n, 3n],
      [A.grid]: [0n, 0n, 1n],
    });
    expect(s.total).toBe(10n);
  });

  it('pays a seller without a read nothing and refunds every depositor without trades in full', () => {
    const s = settleSlot({
      ...WORKED_SETTLEMENT,
      trades: [{ bidId: 'b-bob', askId: 'a-sun', volumeWh: 1000 }],
      reads: { 'm-bob': { whImport: 1000, whExport: 0 } },
    });
    const line = (a: string) => s.parties.find((p) => p.account === a)!;
    expect(line(A.sun).earned).toBe(0n);
    // bob's 1000 Wh came from the grid at the import tariff.
    expect(line(A.bob).paid).toBe(300_000n);
    expect(line(A.alice).refund).toBe(450_000n);
    expect(line(A.carol).refund).toBe(150_000n);
    expect(s.grid.net).toBe(300_000n);
  });

  it('refuses a trade whose buyer escrowed too little, and trades naming unknown orders', () => {
    expect(() =>
      settleSlot({
        ...WORKED_SETTLEMENT,
        escrows: [
          { account: A.bob, amount: 1n },
          { account: A.alice, amount: 1n },
        ],
      }),
    ).toThrow(expect.objectContaining({ code: 'SETTLEMENT_ESCROW_SHORT' }) as SettlementError);
    expect(() =>
      settleSlot({ ...WORKED_SETTLEMENT, trades: [{ bidId: 'nope', askId: 'a-sol', volumeWh: 1 }] }),
    ).toThrow(expect.objectContaining({ code: 'SETTLEMENT_INPUT_INVALID' }) as SettlementError);
    expect(() => settleSlot({ ...WORKED_SETTLEMENT, gridAccount: '0x123' })).toThrow(
      expect.objectContaining({ code: 'SETTLEMENT_INPUT_INVALID' }) as SettlementError,
    );
  });
});
