import type { DeviceInfo, ModuleVerdict, Params, StoredEnvelope } from '@groundwork/node/modules/types.ts';
import type { Address, Hex } from 'viem';
import type { BeaconBody, ReceiptBody, SessionBody, WitnessBody } from './kinds.ts';
import { DENY_PREFIX } from './params.ts';
import { isCell } from './physics.ts';
import { EnvelopeReason } from './reasons.ts';
import { isReceiptSignedBy, isSessionSignedBy } from './signatures.ts';

/** Whether a `coverage.deny.<n>` parameter names the device. The node's parameter map changes in place, so it is
 *  scanned each time (about a hundred entries: microseconds). */
function isDenied(deviceId: string, params: Params): boolean {
  const id = BigInt(deviceId);
  for (const [k, v] of params) if (v === id && k.startsWith(DENY_PREFIX)) return true;
  return false;
}

/**
 * The per-envelope checks that need nothing but the envelope, its device and
 * the parameters: an asserted location, the denylist, and the client's
 * signature on sessions and receipts (the hotspot's is the envelope's own,
 * checked at ingest — so an accepted receipt carries both). Everything that
 * needs other envelopes (the beacon of a witness, the session of a receipt,
 * the entropy of a beacon) is checked in the module's pipeline, with the
 * verdict per report stored for the operator.
 */
export function verifyCoverageEnvelope(args: {
  envelope: StoredEnvelope;
  device: DeviceInfo;
  params: Params;
}): ModuleVerdict {
  const { envelope: e, device, params } = args;
  const kind = e.kind.slice('coverage.'.length);
  if (isDenied(device.deviceId, params)) return { status: 'rejected', reason: EnvelopeReason.denylisted };
  const base = { cell: isCell(device.h3Cell) ? device.h3Cell : '', operator: device.operator.toLowerCase() };
  switch (kind) {
    case 'beacon': {
      if (!base.cell) return { status: 'rejected', reason: EnvelopeReason.noLocation };
      const b = e.body as BeaconBody;
      return {
        status: 'accepted',
        reason: EnvelopeReason.beaconReceived,
        contribution: { kind, ...b, ...base },
      };
    }
    case 'witness': {
      if (!base.cell) return { status: 'rejected', reason: EnvelopeReason.noLocation };
      const w = e.body as WitnessBody;
      return {
        status: 'accepted',
        reason: EnvelopeReason.witnessReceived,
        contribution: { kind, ...w, ...base },
      };
    }
    case 'session': {
      const s = e.body as SessionBody;
      if (!s.clientSig) return { status: 'rejected', reason: EnvelopeReason.sessionSignatureMissing };
      const ok = isSessionSignedBy(
        { chainId: s.chainId, verifyingContract: s.credits as Address },
        {
          sessionId: s.sessionId as Hex,
          provider: BigInt(device.deviceId),
          maxCredits: BigInt(s.maxCredits),
          deadline: BigInt(s.deadline),
        },
        s.clientSig,
        s.client,
      );
      if (!ok) return { status: 'rejected', reason: EnvelopeReason.sessionSignatureInvalid };
      return {
        status: 'accepted',
        reason: EnvelopeReason.sessionReceived,
        contribution: { kind, ...s, ...base },
      };
    }
    case 'receipt': {
      const r = e.body as ReceiptBody;
      if (!r.clientSig) return { status: 'rejected', reason: EnvelopeReason.receiptSignatureMissing };
      const ok = isReceiptSignedBy(
        { chainId: r.chainId, verifyingContract: r.credits as Address },
        {
          sessionId: r.sessionId as Hex,
          provider: BigInt(device.deviceId),
          counter: BigInt(r.counter),
          cumulativeBytes: BigInt(r.cumulativeBytes),
        },
        r.clientSig,
        r.client,
      );
      if (!ok) return { status: 'rejected', reason: EnvelopeReason.receiptSignatureInvalid };
      return {
        status: 'accepted',
        reason: EnvelopeReason.receiptReceived,
        contribution: { kind, ...r, ...base },
      };
    }
    default:
      return { status: 'rejected', reason: 'UNKNOWN_KIND' };
  }
}
