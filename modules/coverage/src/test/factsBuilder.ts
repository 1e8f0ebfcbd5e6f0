/** Test helpers: readable construction of coverage facts around real H3 cells. */
import { latLngToCell } from 'h3-js';
import {
  beaconPacket,
  challengedSlot,
  challengeSlotOf,
  challengeSlots,
  deriveEntropy,
  type HexString,
} from '../entropy.ts';
import { type BeaconFact, type CoverageFacts, emptyFacts, type WitnessFact } from '../facts.ts';
import { type CoverageParams, genesisCoverageParams, readCoverageParams } from '../params.ts';
import { projector } from '../physics.ts';

export const CENTRE = { lat: 38.72, lng: -9.14 };
const proj = projector(CENTRE);

/** The H3 cell (res 12) `east`/`north` metres from the test centre. */
export function cellAt(east: number, north: number, res = 12): string {
  const p = proj.toLatLng(east, north);
  return latLngToCell(p.lat, p.lng, res);
}

/** Genesis parameters of a daily-epoch network, with overrides. */
export function testParams(over: Record<string, bigint> = {}): {
  map: Map<string, bigint>;
  p: CoverageParams;
} {
  const map = genesisCoverageParams(86_400n);
  for (const [k, v] of Object.entries(over)) map.set(k, v);
  return { map, p: readCoverageParams(map) };
}

export const id = (n: number): string => `0x${n.toString(16).padStart(64, '0')}`;
export const op = (n: number): string => `0x${n.toString(16).padStart(40, '0')}`;

/** A mutable facts builder: hotspots by number, rounds that challenge whom you ask. */
export class FactsBuilder {
  readonly facts: CoverageFacts = emptyFacts(0);
  readonly #p: CoverageParams;
  #round = 0;
  #nextId = 1;

  constructor(p: CoverageParams) {
    this.#p = p;
  }

  hotspot(n: number, cell: string, operator = op(n), fees: 0 | 1 = 1): number {
    this.facts.hotspots.push({ id: id(n), cell, operator, fees });
    return this.facts.hotspots.length - 1;
  }

  /** A new entropy round issued at `at`, searching seeds until it challenges `hotspot` (or not). */
  round(at: number, hotspot?: number, challenge = true): { round: number; entropy: HexString } {
    const slots = challengeSlots(this.#p.beaconIntervalS, this.#p.entropySeconds);
    for (let s = 0; ; s++) {
      const round = ++this.#round;
      const entropy = deriveEntropy({
        round,
        blockHash: `0x${'11'.repeat(32)}`,
        secret: `0x${s.toString(16).padStart(64, '0')}`,
      });
      const hit =
        hotspot === undefined ||
        challengedSlot(entropy, slots) === challengeSlotOf(this.facts.hotspots[hotspot]!.id, slots);
      if (hit === challenge) {
        this.facts.entropy.push([round, entropy, at]);
        return { round, entropy };
      }
    }
  }

  beacon(
    hotspot: number,
    o: {
      round: number;
      at: number;
      nonce?: string;
      freq?: number;
      eirp?: number;
      gain?: number;
      dup?: 0 | 1 | 2;
    },
  ): number {
    const b: BeaconFact = [
      this.#nextId++,
      hotspot,
      o.at,
      o.round,
      o.nonce ?? `0x${'ab'.repeat(16)}`,
      o.freq ?? 868_100,
      o.eirp ?? 160,
      o.gain ?? 30,
      o.dup ?? 0,
    ];
    this.facts.beacons.push(b);
    return this.facts.beacons.length - 1;
  }

  witness(
    beacon: number,
    hotspot: number,
    o: { at?: number; rssi?: number; snr?: number; freq?: number; gain?: number; dup?: 0 | 1 } = {},
  ): number {
    const b = this.facts.beacons[beacon];
    const w: WitnessFact = [
      this.#nextId++,
      beacon,
      hotspot,
      o.at ?? (b ? b[2] + 200 : 0),
      o.rssi ?? -1_000,
      o.snr ?? 50,
      o.freq ?? (b ? b[5] : 868_100),
      o.gain ?? 30,
      o.dup ?? 0,
    ];
    this.facts.witnesses.push(w);
    return this.facts.witnesses.length - 1;
  }

  packetOf(beacon: number): string {
    const b = this.facts.beacons[beacon]!;
    const e = this.facts.entropy.find((x) => x[0] === b[3])![1];
    return beaconPacket(e as HexString, this.facts.hotspots[b[1]]!.id, b[4]);
  }
}
