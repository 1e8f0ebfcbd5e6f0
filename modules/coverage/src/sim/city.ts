/**
 * A city of hotspots with real propagation, and cheaters of every kind the
 * coverage module must catch. Pure TypeScript, no chain: it produces the same
 * facts the node collects from its store, so the module's own verification
 * and scoring run on them unchanged.
 *
 * Propagation: path loss max(free space, 120 + 37.6·log10(d_km)) dB (COST-231
 * Hata, urban, 868 MHz), log-normal shadowing per link (σ 6 dB, the same both
 * ways), obstacles (building blocks and hills) that add their loss to every
 * link crossing them, site losses (indoor/outdoor) at both ends, fast fading
 * per packet (σ 2.5 dB) and RSSI measurement noise (σ 1 dB); a packet is
 * received when its SNR reaches −12.5 dB (LoRa SF9) over the receiver's
 * noise floor (−117 dBm plus local interference).
 *
 * @module
 */
import { latLngToCell } from 'h3-js';
import {
  challengedSlot,
  challengeSlotOf,
  challengeSlots,
  deriveEntropy,
  type HexString,
} from '../entropy.ts';
import {
  type BeaconFact,
  type CoverageFacts,
  type EntropyFact,
  emptyFacts,
  type HotspotFact,
  type SessionFact,
  type WitnessFact,
} from '../facts.ts';
import type { CoverageParams } from '../params.ts';
import { fsplDdb, projector } from '../physics.ts';
import { Rng } from './rng.ts';

export type CheatKind = 'gps_spoofer' | 'witness_ring' | 'beacon_replay' | 'rssi_inflation' | 'self_dealing';
export const CHEAT_KINDS: readonly CheatKind[] = [
  'gps_spoofer',
  'witness_ring',
  'beacon_replay',
  'rssi_inflation',
  'self_dealing',
];

export interface CityOptions {
  seed: number;
  /** Hotspots in total, cheaters included. */
  hotspots: number;
  /** Share of them that cheat, split evenly between the kinds. */
  cheaterShare: number;
  /** City radius, metres. */
  radiusM?: number;
}

/** A simulated hotspot and the truth about it. */
export interface SimHotspot {
  id: string;
  operator: string;
  /** Where its radio really is (local metres), or null for a virtual device without a radio. */
  real: [number, number] | null;
  asserted: [number, number];
  cell: string;
  gainDb: number;
  eirpDbm: number;
  siteLossDb: number;
  noiseDbm: number;
  cheat: CheatKind | null;
  /** RSSI inflation of its reports, dB (0 for honest hotspots). */
  inflateDb: number;
  inflateSnr: boolean;
  /** Ring number of a witness-ring member, -1 otherwise. */
  ring: number;
}

export interface City {
  hotspots: SimHotspot[];
  facts: CoverageFacts;
  epoch: { epoch: number; startMs: number; endMs: number };
}

const CENTRE = { lat: 38.72, lng: -9.14 };
const CHANNELS_KHZ = [867_100, 867_300, 867_500, 867_700, 867_900, 868_100, 868_300, 868_500];
const T0 = 1_700_000_000_000;

interface Obstacle {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  lossDb: number;
}

/** Whether the segment a→b crosses the axis-aligned rectangle (Liang–Barsky). */
function crosses(ax: number, ay: number, bx: number, by: number, o: Obstacle): boolean {
  let t0 = 0;
  let t1 = 1;
  const dx = bx - ax;
  const dy = by - ay;
  const edges: [number, number][] = [
    [-dx, ax - o.x0],
    [dx, o.x1 - ax],
    [-dy, ay - o.y0],
    [dy, o.y1 - ay],
  ];
  for (const [p, q] of edges) {
    if (p === 0) {
      if (q < 0) return false;
    } else {
      const r = q / p;
      if (p < 0) {
        if (r > t1) return false;
        if (r > t0) t0 = r;
      } else {
        if (r < t0) return false;
        if (r < t1) t1 = r;
      }
    }
  }
  return true;
}

/** Urban path loss of the simulation (before shadowing, obstacles and site losses), dB. */
function basePathLossDb(dM: number): number {
  const d = Math.max(dM, 1);
  return Math.max(fsplDdb(d, 868_000) / 10, 120 + 37.6 * Math.log10(d / 1000));
}

/**
 * Builds the city and simulates the look-back window (two days of entropy
 * rounds; the second day is the scored epoch) into coverage facts.
 */
export function simulateCity(o: CityOptions, p: CoverageParams): City {
  const rng = new Rng(o.seed);
  const R = o.radiusM ?? 12_000;
  const proj = projector(CENTRE);
  const toCell = ([x, y]: [number, number]) => {
    const ll = proj.toLatLng(x, y);
    return latLngToCell(ll.lat, ll.lng, 12);
  };
  const addr = () => rng.hex(20);
  const cityPoint = (scale = 1): [number, number] => {
    const r = R * scale * rng.next() ** 0.75;
    const a = rng.uniform(0, 2 * Math.PI);
    return [r * Math.cos(a), r * Math.sin(a)];
  };

  // --- who is who -----------------------------------------------------------------------------
  const total = o.hotspots;
  const cheaters = Math.round(total * o.cheaterShare);
  const perKind = CHEAT_KINDS.map(
    (_, k) => Math.floor(cheaters / CHEAT_KINDS.length) + (k < cheaters % CHEAT_KINDS.length ? 1 : 0),
  );
  const hotspots: SimHotspot[] = [];
  const radioHotspot = (cheat: CheatKind | null, operator: string, real: [number, number]): SimHotspot => {
    const gainDb = rng.pick([2, 3, 3, 5, 6, 8]);
    // Honest GPS error: a few metres, within the asserted cell's neighbourhood.
    const asserted: [number, number] = [real[0] + rng.normal(0, 10), real[1] + rng.normal(0, 10)];
    return {
      id: rng.hex(32),
      operator,
      real,
      asserted,
      cell: toCell(asserted),
      gainDb,
      eirpDbm: Math.min(16, 14 + Math.max(0, gainDb - 2.15)),
      siteLossDb: rng.chance(0.5) ? rng.uniform(0, 4) : rng.uniform(4, 14),
      noiseDbm: -117 + rng.uniform(0, 4),
      cheat,
      inflateDb: 0,
      inflateSnr: false,
      ring: -1,
    };
  };

  // Honest operators own 1–3 hotspots, usually in one area.
  const honest = total - cheaters;
  while (hotspots.length < honest) {
    const operator = addr();
    const count = Math.min(honest - hotspots.length, rng.pick([1, 1, 1, 2, 3]));
    const home = cityPoint();
    for (let c = 0; c < count; c++) {
      // Some share a building (stacked in one hex), others sit a few blocks apart.
      const spot: [number, number] =
        c === 0
          ? home
          : rng.chance(0.3)
            ? [home[0] + rng.normal(0, 15), home[1] + rng.normal(0, 15)]
            : cityPoint();
      hotspots.push(radioHotspot(null, operator, spot));
    }
  }
  // Cheaters.
  let rings = 0;
  for (let k = 0; k < CHEAT_KINDS.length; k++) {
    const kind = CHEAT_KINDS[k]!;
    let left = perKind[k]!;
    while (left > 0) {
      if (kind === 'witness_ring') {
        // Rings of 3–5; the last one takes the rest (a ring needs at least two members to fabricate anything).
        const size = left <= 5 ? left : Math.min(rng.int(3, 5), left - 3);
        const remote = rng.chance(0.5);
        const centre: [number, number] = remote
          ? (() => {
              const r = rng.uniform(12_000, 30_000);
              const a = rng.uniform(0, 2 * Math.PI);
              return [r * Math.cos(a), r * Math.sin(a)] as [number, number];
            })()
          : cityPoint(0.8);
        for (let m = 0; m < size; m++) {
          const d = rng.uniform(300, 1_500);
          const a = rng.uniform(0, 2 * Math.PI);
          const asserted: [number, number] = [centre[0] + d * Math.cos(a), centre[1] + d * Math.sin(a)];
          // Sybils: every member with its own operator account.
          hotspots.push({
            id: rng.hex(32),
            operator: addr(),
            real: null,
            asserted,
            cell: toCell(asserted),
            gainDb: rng.pick([3, 5, 6]),
            eirpDbm: 16,
            siteLossDb: 0,
            noiseDbm: -117,
            cheat: kind,
            inflateDb: 0,
            inflateSnr: false,
            ring: rings,
          });
        }
        left -= size;
        rings++;
        continue;
      }
      const h = radioHotspot(kind, addr(), cityPoint());
      if (kind === 'gps_spoofer') {
        const d = rng.uniform(3_000, 20_000);
        const a = rng.uniform(0, 2 * Math.PI);
        h.asserted = [h.real![0] + d * Math.cos(a), h.real![1] + d * Math.sin(a)];
        h.cell = toCell(h.asserted);
      }
      if (kind === 'rssi_inflation') {
        h.inflateDb = rng.uniform(10, 25);
        h.inflateSnr = rng.chance(0.5);
      }
      hotspots.push(h);
      left--;
    }
  }
  const n = hotspots.length;

  // --- the radio environment --------------------------------------------------------------------
  const obstacles: Obstacle[] = [];
  for (let i = 0; i < 60; i++) {
    const [cx, cy] = cityPoint(1.1);
    const w = rng.uniform(150, 600);
    const hgt = rng.uniform(150, 600);
    obstacles.push({
      x0: cx - w / 2,
      y0: cy - hgt / 2,
      x1: cx + w / 2,
      y1: cy + hgt / 2,
      lossDb: rng.uniform(6, 18),
    });
  }
  for (let i = 0; i < 3; i++) {
    const [cx, cy] = cityPoint(1.2);
    const s = rng.uniform(1_000, 2_000);
    obstacles.push({
      x0: cx - s / 2,
      y0: cy - s / 2,
      x1: cx + s / 2,
      y1: cy + s / 2,
      lossDb: rng.uniform(15, 25),
    });
  }
  const radios = hotspots.map((h, i) => (h.real ? i : -1)).filter((i) => i >= 0);
  // Static loss per radio pair (symmetric), dB; NaN where out of any range.
  const loss = new Float32Array(n * n).fill(Number.NaN);
  for (let a = 0; a < radios.length; a++) {
    const i = radios[a]!;
    const [ix, iy] = hotspots[i]!.real!;
    for (let b = a + 1; b < radios.length; b++) {
      const jx = hotspots[radios[b]!]!.real![0];
      const jy = hotspots[radios[b]!]!.real![1];
      const d = Math.hypot(ix - jx, iy - jy);
      if (d > 25_000) continue;
      let l =
        basePathLossDb(d) + rng.normal(0, 6) + hotspots[i]!.siteLossDb + hotspots[radios[b]!]!.siteLossDb;
      for (const ob of obstacles) if (crosses(ix, iy, jx, jy, ob)) l += ob.lossDb;
      const j = radios[b]!;
      loss[i * n + j] = l;
      loss[j * n + i] = l;
    }
  }

  // --- two days of challenges --------------------------------------------------------------------
  const roundMs = p.entropySeconds * 1000;
  const rounds = Math.floor((p.lookbackS * 1000) / roundMs);
  const slots = challengeSlots(p.beaconIntervalS, p.entropySeconds);
  const bySlot = new Map<number, number[]>();
  hotspots.forEach((h, i) => {
    const s = challengeSlotOf(h.id, slots);
    bySlot.set(s, [...(bySlot.get(s) ?? []), i]);
  });
  const hours = Math.ceil((rounds * roundMs) / 3_600_000) + 1;
  const online = hotspots.map(() => {
    const a = new Uint8Array(hours);
    for (let hh = 0; hh < hours; hh++) a[hh] = rng.chance(0.96) ? 1 : 0;
    return a;
  });
  const isOnline = (i: number, t: number) => online[i]![Math.floor((t - T0) / 3_600_000)] === 1;

  const entropyFacts: EntropyFact[] = [];
  const entropyOf = new Map<number, { value: HexString; issuedAt: number }>();
  interface PendingBeacon {
    hotspot: number;
    round: number;
    nonce: string;
    freq: number;
    txAt: number;
    receivedAt: number;
    dup: 0 | 1 | 2;
    broadcast: boolean;
    /** Index of the beacon whose packet this is (itself unless it repeats an earlier packet). */
    packetOf?: number;
  }
  const beacons: PendingBeacon[] = [];
  interface PendingWitness {
    beacon: number;
    hotspot: number;
    receivedAt: number;
    rssi: number;
    snr: number;
    freq: number;
    dup: 0 | 1;
  }
  const witnesses: PendingWitness[] = [];
  const latency = () => (rng.chance(0.01) ? rng.uniform(2_000, 8_000) : rng.uniform(80, 450));

  // Radio: who hears a broadcast of beacon `bi` by hotspot `h` at time t.
  const broadcast = (bi: number, h: number, t: number, freq: number) => {
    const tx = hotspots[h]!;
    for (const j of radios) {
      if (j === h || !isOnline(j, t)) continue;
      const l = loss[h * n + j]!;
      if (Number.isNaN(l)) continue;
      const rx = hotspots[j]!;
      const rssiTrue = tx.eirpDbm + rx.gainDb - l + rng.normal(0, 2.5);
      if (rssiTrue < rx.noiseDbm - 12.5) continue;
      const snrTrue = Math.min(13.5, rssiTrue - rx.noiseDbm + rng.normal(0, 1));
      const rssi = rssiTrue + rng.normal(0, 1) + rx.inflateDb;
      const snr = snrTrue + (rx.inflateSnr ? rx.inflateDb : 0);
      const w = { beacon: bi, hotspot: j, receivedAt: t + latency(), rssi, snr, freq, dup: 0 as const };
      witnesses.push(w);
      if (rng.chance(0.002)) witnesses.push({ ...w, receivedAt: w.receivedAt + 3_000, dup: 1 });
    }
  };
  // Rings: every other member fabricates a plausible report from the governed path-loss model.
  const ringOf = new Map<number, number[]>();
  const ringMembers = new Map<number, number[]>();
  hotspots.forEach((h, i) => {
    if (h.ring >= 0) ringMembers.set(h.ring, [...(ringMembers.get(h.ring) ?? []), i]);
  });
  for (const members of ringMembers.values()) for (const m of members) ringOf.set(m, members);
  const fabricate = (bi: number, h: number, t: number, freq: number) => {
    const tx = hotspots[h]!;
    for (const j of ringOf.get(h) ?? []) {
      if (j === h) continue;
      const rx = hotspots[j]!;
      const d = Math.hypot(tx.asserted[0] - rx.asserted[0], tx.asserted[1] - rx.asserted[1]);
      const pl =
        p.plInterceptDdb / 10 + (p.plSlopeDdb / 10) * Math.log10(Math.max(d, 10) / 1000) + rng.normal(0, 6);
      const rssi = tx.eirpDbm + rx.gainDb - pl;
      const snr = Math.min(12, rssi + 117 + rng.normal(0, 1));
      witnesses.push({
        beacon: bi,
        hotspot: j,
        receivedAt: t + rng.uniform(100, 600),
        rssi,
        snr,
        freq,
        dup: 0,
      });
    }
  };

  // Replayers' planned misdeeds: stale replays, extra beacons and unchallenged beacons.
  const misdeeds = new Map<number, { round: number; kind: 'stale' | 'extra' | 'unchallenged' }[]>();
  hotspots.forEach((h, i) => {
    if (h.cheat !== 'beacon_replay') return;
    const list = [];
    const count = rng.int(2, 6);
    for (let c = 0; c < count; c++)
      list.push({ round: rng.int(1, rounds), kind: rng.pick(['stale', 'extra', 'unchallenged'] as const) });
    misdeeds.set(i, list);
  });
  const misdeedRounds = new Map<number, { h: number; kind: 'stale' | 'extra' | 'unchallenged' }[]>();
  for (const [h, list] of misdeeds)
    for (const m of list)
      misdeedRounds.set(m.round, [...(misdeedRounds.get(m.round) ?? []), { h, kind: m.kind }]);
  const lastBeaconOf = new Map<number, number>();

  for (let k = 1; k <= rounds; k++) {
    const issuedAt = T0 + (k - 1) * roundMs + 500;
    const value = deriveEntropy({ round: k, blockHash: rng.hex(32), secret: rng.hex(32) });
    entropyFacts.push([k, value, issuedAt]);
    entropyOf.set(k, { value, issuedAt });
    const challenged = bySlot.get(challengedSlot(value, slots)) ?? [];
    const emit = (h: number, round: number, opts: { extra?: boolean; repeatOf?: number } = {}) => {
      const hs = hotspots[h]!;
      const txAt = issuedAt + rng.uniform(1_000, 30_000);
      const repeat = opts.repeatOf !== undefined ? beacons[opts.repeatOf]! : undefined;
      const b: PendingBeacon = {
        hotspot: h,
        round: repeat ? repeat.round : round,
        nonce: repeat ? repeat.nonce : rng.hex(16),
        freq: repeat ? repeat.freq : rng.pick(CHANNELS_KHZ),
        txAt,
        receivedAt: txAt + latency(),
        dup: repeat ? 1 : opts.extra ? 2 : 0,
        broadcast: hs.real !== null,
        ...(repeat ? { packetOf: opts.repeatOf! } : {}),
      };
      // An honest device that was cut off delivers its beacon late now and then.
      if (!hs.cheat && rng.chance(0.004)) b.receivedAt += rng.uniform(200_000, 900_000);
      const bi = beacons.length;
      beacons.push(b);
      if (b.broadcast) broadcast(b.packetOf ?? bi, h, txAt, b.freq);
      else fabricate(bi, h, txAt, b.freq);
      if (!repeat && rng.chance(0.003)) {
        beacons.push({ ...b, receivedAt: b.receivedAt + 5_000, dup: 1, broadcast: false, packetOf: bi });
      }
      return bi;
    };
    for (const h of challenged) {
      const hs = hotspots[h]!;
      if (hs.real && !isOnline(h, issuedAt)) continue;
      lastBeaconOf.set(h, emit(h, k));
    }
    for (const m of misdeedRounds.get(k) ?? []) {
      const last = lastBeaconOf.get(m.h);
      if (m.kind === 'stale' && last !== undefined && beacons[last]!.round < k - 4)
        emit(m.h, k, { repeatOf: last });
      else if (m.kind === 'extra' && challenged.includes(m.h)) emit(m.h, k, { extra: true });
      else if (!challenged.includes(m.h)) emit(m.h, k);
      else emit(m.h, k, { extra: true });
    }
  }

  // --- facts, ordered by arrival as the node would store them ------------------------------------
  const facts = emptyFacts(T0);
  facts.hotspots = hotspots.map<HotspotFact>((h) => ({
    id: h.id,
    cell: h.cell,
    operator: h.operator,
    fees: 1,
  }));
  facts.entropy = entropyFacts;
  const bOrder = beacons
    .map((_, i) => i)
    .sort((a, b) => beacons[a]!.receivedAt - beacons[b]!.receivedAt || a - b);
  const bIndex = new Int32Array(beacons.length);
  bOrder.forEach((bi, pos) => {
    bIndex[bi] = pos;
  });
  facts.beacons = bOrder.map<BeaconFact>((bi, pos) => {
    const b = beacons[bi]!;
    const h = hotspots[b.hotspot]!;
    return [
      pos + 1,
      b.hotspot,
      Math.round(b.receivedAt),
      b.round,
      b.nonce,
      b.freq,
      Math.round(h.eirpDbm * 10),
      Math.round(h.gainDb * 10),
      b.dup,
    ];
  });
  // A packet heard again (a replay) belongs to the first beacon that carried it, as the node's packet lookup finds.
  const wOrder = witnesses
    .map((_, i) => i)
    .sort((a, b) => witnesses[a]!.receivedAt - witnesses[b]!.receivedAt || a - b);
  facts.witnesses = wOrder.map<WitnessFact>((wi, pos) => {
    const w = witnesses[wi]!;
    const h = hotspots[w.hotspot]!;
    return [
      1_000_000 + pos,
      bIndex[w.beacon]!,
      w.hotspot,
      Math.round(w.receivedAt),
      Math.round(w.rssi * 10),
      Math.round(w.snr * 10),
      w.freq,
      Math.round(h.gainDb * 10),
      w.dup,
    ];
  });

  // --- paid data in the scored day ----------------------------------------------------------------
  const sessions: SessionFact[] = [];
  hotspots.forEach((h, i) => {
    if (!h.real) return;
    if (h.cheat === 'self_dealing') {
      const count = rng.int(1, 3);
      for (let s = 0; s < count; s++) {
        const credits = BigInt(Math.round(rng.uniform(100_000, 1_000_000)));
        // Half use the operator's own account as client, half a fresh account the operator bought credits for.
        sessions.push([
          rng.hex(32),
          i,
          rng.chance(0.5) ? h.operator : addr(),
          1,
          credits.toString(),
          (credits * 24n).toString(),
        ]);
      }
    } else if (!h.cheat && rng.chance(0.3)) {
      const count = rng.int(1, 3);
      for (let s = 0; s < count; s++) {
        const credits = BigInt(Math.round(rng.uniform(20_000, 300_000)));
        sessions.push([rng.hex(32), i, addr(), 0, credits.toString(), (credits * 24n).toString()]);
      }
    }
  });
  facts.sessions = sessions;
  const dayMs = 86_400_000;
  const endMs = T0 + rounds * roundMs;
  return { hotspots, facts, epoch: { epoch: 2, startMs: Math.max(T0, endMs - dayMs), endMs } };
}
