import { keccak256, toHex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { describe, expect, it } from 'vitest';
import { usageReceiptTypedData } from './signatures.ts';
import { cellAt, id, testParams } from './test/factsBuilder.ts';
import { verifyCoverageEnvelope } from './verify.ts';

const client = privateKeyToAccount('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d');
const other = privateKeyToAccount('0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a');
const CREDITS = '0x00000000000000000000000000000000000000dc';
const device = {
  deviceId: id(7),
  module: 'coverage',
  h3Cell: cellAt(0, 0),
  operator: '0x00000000000000000000000000000000000000aa',
  active: true,
};
const envelope = (kind: string, body: unknown) => ({
  id: 1,
  deviceId: device.deviceId,
  seq: 1,
  time: 0,
  receivedAt: 0,
  kind: `coverage.${kind}`,
  body,
});
const beacon = {
  round: 1,
  nonce: `0x${'01'.repeat(16)}`,
  frequencyKhz: 868_100,
  eirpDdbm: 160,
  gainDdbi: 30,
};

describe('verifyCoverageEnvelope', () => {
  const { map } = testParams();

  it('accepts a beacon with the asserted cell and operator as its contribution', () => {
    expect(verifyCoverageEnvelope({ envelope: envelope('beacon', beacon), device, params: map })).toEqual({
      status: 'accepted',
      reason: 'BEACON_RECEIVED',
      contribution: { kind: 'beacon', ...beacon, cell: device.h3Cell, operator: device.operator },
    });
  });

  it('rejects reports from a hotspot without an asserted location', () => {
    for (const h3Cell of ['', '0']) {
      expect(
        verifyCoverageEnvelope({
          envelope: envelope('beacon', beacon),
          device: { ...device, h3Cell },
          params: map,
        }),
      ).toEqual({
        status: 'rejected',
        reason: 'NO_ASSERTED_LOCATION',
      });
    }
  });

  it('rejects everything from a denylisted device', () => {
    const { map: denied } = testParams({ 'coverage.deny.4': BigInt(device.deviceId) });
    expect(verifyCoverageEnvelope({ envelope: envelope('beacon', beacon), device, params: denied })).toEqual({
      status: 'rejected',
      reason: 'DEVICE_DENYLISTED',
    });
  });

  it('rejects a receipt signed by someone other than its client', async () => {
    const sessionId = keccak256(toHex('s'));
    const receipt = {
      sessionId,
      client: client.address,
      counter: 1,
      cumulativeBytes: 24,
      chainId: 31337,
      credits: CREDITS,
    };
    const signed = (who: typeof client) =>
      who.signTypedData(
        usageReceiptTypedData(
          { chainId: 31337, verifyingContract: CREDITS },
          { sessionId, provider: BigInt(device.deviceId), counter: 1n, cumulativeBytes: 24n },
        ),
      );
    const ok = verifyCoverageEnvelope({
      envelope: envelope('receipt', { ...receipt, clientSig: await signed(client) }),
      device,
      params: map,
    });
    expect(ok.status).toBe('accepted');
    const forged = verifyCoverageEnvelope({
      envelope: envelope('receipt', { ...receipt, clientSig: await signed(other) }),
      device,
      params: map,
    });
    expect(forged).toEqual({ status: 'rejected', reason: 'RECEIPT_CLIENT_SIGNATURE_INVALID' });
    const tampered = verifyCoverageEnvelope({
      envelope: envelope('receipt', { ...receipt, cumulativeBytes: 48, clientSig: await signed(client) }),
      device,
      params: map,
    });
    expect(tampered).toEqual({ status: 'rejected', reason: 'RECEIPT_CLIENT_SIGNATURE_INVALID' });
  });
});
