import { createHash } from 'node:crypto';
import { deviceRegistryAbi } from '@groundwork/abi';
import type { ChainClients, GroundworkModule, Params } from '@groundwork/node';
import { h3ToUint64, moduleToBytes32 } from '@groundwork/node';
import {
  type DeviceKey,
  deviceIdToTokenId,
  deviceKeyFromSeed,
  type Envelope,
  type KeyType,
  keyTypeCode,
  registrationDigest,
  signEnvelope,
  signRegistration,
  toHex,
} from '@groundwork/protocol';
import { latLngToCell } from 'h3-js';
import type { Address, Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';

/** How a simulated device behaves. Honest devices earn; every other role is rejected under its own reason. */
export type DeviceRole = 'honest' | 'forged' | 'skewed' | 'deactivated' | 'unregistered';

export interface SimDevice {
  index: number;
  role: DeviceRole;
  key: DeviceKey;
  module: GroundworkModule;
  operator: Address;
  operatorKey: Hex;
  h3Cell: string;
  seq: number;
  tick: number;
}

export interface FleetStats {
  accepted: number;
  rejected: Record<string, number>;
}

/** Deterministic 32 bytes from the fleet seed, so a restarted fleet has the same keys. */
function derive(seed: string, label: string): Uint8Array {
  return createHash('sha256').update(`groundwork-sim:${seed}:${label}`).digest();
}

// Devices are scattered over a city-sized area (Lisbon), one H3 cell at resolution 10 each.
const CITY = { lat: 38.72, lng: -9.14, spread: 0.08 };

/**
 * Plans a fleet of `count` registered devices (plus a few unregistered keys),
 * spread over operators and over every module that can simulate. About 2% of
 * devices each forge signatures, run a skewed clock, or get deactivated.
 */
export function planFleet(o: {
  count: number;
  seed: string;
  modules: GroundworkModule[];
  operatorKeys: Hex[];
}): SimDevice[] {
  const simModules = o.modules.filter((m) => m.simulate);
  if (simModules.length === 0) throw new Error('no module can simulate devices');
  const bad = o.count >= 20 ? Math.max(1, Math.round(o.count * 0.02)) : o.count >= 4 ? 1 : 0;
  const roles: DeviceRole[] = [];
  for (let i = 0; i < o.count; i++) {
    roles.push(i < bad ? 'forged' : i < 2 * bad ? 'skewed' : i < 3 * bad ? 'deactivated' : 'honest');
  }
  for (let i = 0; i < Math.max(1, bad); i++) roles.push('unregistered');
  return roles.map((role, index) => {
    const keyType: KeyType = index % 2 === 0 ? 'ed25519' : 'p256';
    let key: DeviceKey | undefined;
    for (let attempt = 0; !key; attempt++) {
      try {
        key = deviceKeyFromSeed(keyType, derive(o.seed, `device:${index}:${attempt}`));
      } catch {
        // A p256 scalar outside [1, n-1]: astronomically rare; try the next.
      }
    }
    const operatorKey = o.operatorKeys[index % o.operatorKeys.length]!;
    const r = derive(o.seed, `place:${index}`);
    const lat = CITY.lat + ((r[0]! / 255) * 2 - 1) * CITY.spread;
    const lng = CITY.lng + ((r[1]! / 255) * 2 - 1) * CITY.spread;
    return {
      index,
      role,
      key,
      module: simModules[index % simModules.length]!,
      operator: privateKeyToAccount(operatorKey).address,
      operatorKey,
      h3Cell: latLngToCell(lat, lng, 10),
      seq: 0,
      tick: 0,
    };
  });
}

/**
 * Registers every planned device that is not on chain yet (all but the
 * `unregistered` ones), each operator in batches, then deactivates the
 * `deactivated` ones. Returns how many it registered.
 */
export async function registerFleet(
  devices: SimDevice[],
  clients: ChainClients,
  registry: Address,
  onProgress: (done: number, total: number) => void = () => {},
): Promise<number> {
  const pc = clients.publicClient;
  const todo: SimDevice[] = [];
  for (const d of devices) {
    if (d.role === 'unregistered') continue;
    const info = (await pc.readContract({
      address: registry,
      abi: deviceRegistryAbi,
      functionName: 'keyNonce',
      args: [deviceIdToTokenId(d.key.deviceId)],
    })) as bigint;
    if (info === 0n) todo.push(d);
  }
  const byOperator = new Map<Hex, SimDevice[]>();
  for (const d of todo) byOperator.set(d.operatorKey, [...(byOperator.get(d.operatorKey) ?? []), d]);
  let done = 0;
  const BATCH = 20;
  for (const [operatorKey, list] of byOperator) {
    const w = clients.walletFor(operatorKey);
    for (let i = 0; i < list.length; i += BATCH) {
      const batch = list.slice(i, i + BATCH).map((d) => {
        const digest = registrationDigest({
          chainId: clients.chain.id,
          registry,
          operator: d.operator,
          nonce: 0,
        });
        const signature = signRegistration(d.key.privateKey, d.key.keyType, digest);
        return {
          keyType: keyTypeCode(d.key.keyType),
          publicKey: toHex(d.key.publicKey) as Hex,
          module: moduleToBytes32(d.module.id),
          h3Cell: h3ToUint64(d.h3Cell),
          signature: toHex(signature) as Hex,
        };
      });
      const hash = await w.writeContract({
        address: registry,
        abi: deviceRegistryAbi,
        functionName: 'registerBatch',
        args: [batch],
      });
      const receipt = await pc.waitForTransactionReceipt({ hash });
      if (receipt.status !== 'success') throw new Error(`registerBatch reverted in ${hash}`);
      done += batch.length;
      onProgress(done, todo.length);
    }
  }
  for (const d of todo.filter((x) => x.role === 'deactivated')) {
    const w = clients.walletFor(d.operatorKey);
    const hash = await w.writeContract({
      address: registry,
      abi: deviceRegistryAbi,
      functionName: 'deactivate',
      args: [deviceIdToTokenId(d.key.deviceId)],
    });
    await pc.waitForTransactionReceipt({ hash });
  }
  return done;
}

const SKEW_MS = 10 * 60 * 1000;

/** Builds the next envelope a simulated device sends, misbehaving as its role says. */
export function nextEnvelope(d: SimDevice, now: number, forger: DeviceKey): Envelope {
  const reading = d.module.simulate!.next({ deviceIndex: d.index, now, tick: d.tick++ });
  // seq from the wall clock: strictly increasing across restarts of the fleet.
  d.seq = Math.max(d.seq + 1, now);
  const unsigned = {
    v: 1 as const,
    device: d.key.deviceId,
    seq: d.seq,
    time: d.role === 'skewed' ? now + SKEW_MS : now,
    kind: reading.kind,
    body: reading.body,
  };
  if (d.role === 'forged') {
    // Signed by a key that is not the device's: the signature cannot verify.
    return { ...signEnvelope({ ...unsigned, device: forger.deviceId }, forger), device: d.key.deviceId };
  }
  return signEnvelope(unsigned, d.key);
}

/**
 * Runs the fleet against a node's HTTP API until stopped: every device sends
 * a reading per its module's interval; a replayer re-sends an envelope the
 * node already accepted. Verdicts are tallied by reason.
 */
export function runFleet(o: {
  apiUrl: string;
  devices: SimDevice[];
  params: () => Params;
  seed: string;
  onBatch?: (stats: FleetStats) => void;
}): { stats: FleetStats; stop(): Promise<void> } {
  const stats: FleetStats = { accepted: 0, rejected: {} };
  const forger = deviceKeyFromSeed('ed25519', derive(o.seed, 'forger'));
  let stopped = false;
  let lastAccepted: Envelope | undefined;
  const post = async (envelopes: Envelope[]) => {
    const res = await fetch(`${o.apiUrl}/v1/envelopes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ envelopes }),
    });
    if (res.status !== 202) throw new Error(`ingest answered ${res.status}: ${await res.text()}`);
    const body = (await res.json()) as { results: { index: number; status: string; reason?: string }[] };
    for (const r of body.results) {
      if (r.status === 'accepted') {
        stats.accepted++;
        lastAccepted = envelopes[r.index];
      } else stats.rejected[r.reason!] = (stats.rejected[r.reason!] ?? 0) + 1;
    }
  };
  const loop = (async () => {
    while (!stopped) {
      const intervalMs = Math.min(...o.devices.map((d) => d.module.simulate!.intervalMs(o.params())));
      const now = Date.now();
      const batch = o.devices.map((d) => nextEnvelope(d, now, forger));
      try {
        for (let i = 0; i < batch.length; i += 500) await post(batch.slice(i, i + 500));
        // The replayer: an eavesdropper re-sending an envelope the node accepted.
        if (lastAccepted) await post([lastAccepted]);
        o.onBatch?.(stats);
      } catch (err) {
        if (!stopped) process.stderr.write(`fleet: ${(err as Error).message}\n`);
      }
      const wait = Math.max(50, intervalMs - (Date.now() - now));
      await new Promise((r) => setTimeout(r, wait));
    }
  })();
  return {
    stats,
    async stop() {
      stopped = true;
      await loop;
    },
  };
}
