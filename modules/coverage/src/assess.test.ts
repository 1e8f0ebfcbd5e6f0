import { describe, expect, it } from 'vitest';
import { assessHotspots } from './assess.ts';
import { judgeFacts } from './judge.ts';
import { cellAt, FactsBuilder, testParams } from './test/factsBuilder.ts';

const T = 1_700_000_000_000;

/** Deterministic noise in [-1, 1]. */
const noise = (i: number) => Math.sin(i * 12.9898) * 0.999;

interface Site {
  /** Where its radio is (metres); null: no radio (a fabricated hotspot). */
  real: [number, number] | null;
  /** Where it says it is. */
  asserted: [number, number];
  /** dB added to what it reports hearing. */
  inflate?: number;
}

/**
 * A neighbourhood where every hotspot beacons `beacons` times and every radio
 * within 2.5 km reports it with the model's path loss (plus ±4 dB noise),
 * measured between real positions: a truthful network, or one with liars.
 */
function neighbourhood(sites: Site[], beacons = 3, over: Record<string, bigint> = {}) {
  const { p } = testParams(over);
  const f = new FactsBuilder(p);
  const hs = sites.map((s, i) => f.hotspot(i + 1, cellAt(s.asserted[0], s.asserted[1])));
  let k = 0;
  let t = T;
  for (let b = 0; b < beacons; b++) {
    hs.forEach((h, i) => {
      t += 600_000;
      const { round } = f.round(t, h);
      const beacon = f.beacon(h, {
        round,
        at: t + 2_000,
        nonce: `0x${(k + 1).toString(16).padStart(32, '0')}`,
      });
      const tx = sites[i]!;
      sites.forEach((rx, j) => {
        if (j === i || !tx.real || !rx.real) return;
        const d = Math.max(10, Math.hypot(tx.real[0] - rx.real[0], tx.real[1] - rx.real[1]));
        if (d > 2_500) return;
        const pl = p.plInterceptDdb / 10 + (p.plSlopeDdb / 10) * Math.log10(d / 1000) + 4 * noise(++k);
        const rssi = Math.round((16 + 3 - pl + (rx.inflate ?? 0)) * 10);
        f.witness(beacon, hs[j]!, { rssi, snr: Math.min(100, rssi + 1_170 - 20) });
      });
    });
  }
  return { f, p, hs };
}

/** A 4×4 grid of honest hotspots 600 m apart. */
const grid = (): Site[] =>
  Array.from({ length: 16 }, (_, i) => {
    const at: [number, number] = [(i % 4) * 600, Math.floor(i / 4) * 600];
    return { real: at, asserted: at };
  });

const assess = (w: ReturnType<typeof neighbourhood>) =>
  assessHotspots(w.f.facts, judgeFacts(w.f.facts, w.p), w.p);

describe('assessHotspots', () => {
  it('raises no flag in a truthful neighbourhood', () => {
    const a = assess(neighbourhood(grid()));
    expect(a.map((x) => x.flags)).toEqual(grid().map(() => []));
    expect(a[5]!.component).toBe(16);
    expect(a[5]!.corrHeard).toBeGreaterThan(0);
  });

  it('flags a GPS spoofer whose links fit a place far from its asserted location', () => {
    const sites = grid();
    sites.push({ real: [900, 900], asserted: [12_000, 7_000] });
    const a = assess(neighbourhood(sites));
    expect(a[16]!.flags).toContain('HOTSPOT_LOCATION_INCONSISTENT');
    expect(a[16]!.locOffsetM).toBeGreaterThan(10_000);
    expect(a.slice(0, 16).map((x) => x.flags)).toEqual(grid().map(() => []));
  });

  it('flags a hotspot that listening neighbours around its asserted location never hear', () => {
    const sites = grid();
    // Two honest hotspots 5 km east; the liar's radio sits between them but it claims the middle of the grid.
    sites.push(
      { real: [5_000, 900], asserted: [5_000, 900] },
      { real: [5_600, 900], asserted: [5_600, 900] },
    );
    sites.push({ real: [5_300, 1_200], asserted: [900, 900] });
    // (The three eastern radios only hear each other: rings are not under test here.)
    const a = assess(neighbourhood(sites, 3, { 'coverage.ringMaxSize': 0n }));
    expect(a[18]!.flags).toContain('HOTSPOT_NOT_CORROBORATED');
    expect(a[18]!.corrHeard).toBe(0);
    expect(a[18]!.links).toBe(2);
    expect(a.slice(0, 18).map((x) => x.flags)).toEqual(sites.slice(0, 18).map(() => []));
  });

  it('flags a hotspot that reports what it hears much stronger than the other side reports it', () => {
    const sites = grid();
    sites[5] = { ...sites[5]!, inflate: 15 };
    const a = assess(neighbourhood(sites));
    expect(a[5]!.flags).toContain('HOTSPOT_RSSI_ASYMMETRY');
    expect(a[5]!.asymDdb).toBeGreaterThan(100);
    expect(a.filter((x, i) => i !== 5 && x.flags.includes('HOTSPOT_RSSI_ASYMMETRY'))).toEqual([]);
  });

  it('flags a closed group that only witnesses each other, and only that group', () => {
    const sites = grid();
    const w = neighbourhood(sites, 2);
    // Two fabricated hotspots 40 km away that only ever report each other.
    const x = w.f.hotspot(100, cellAt(40_000, 0));
    const y = w.f.hotspot(101, cellAt(40_800, 0));
    for (const [tx, rx] of [
      [x, y],
      [y, x],
    ] as const) {
      const { round } = w.f.round(T + 90_000_000, tx);
      const b = w.f.beacon(tx, { round, at: T + 90_001_000 });
      w.f.witness(b, rx, { rssi: -1_050, snr: 20 });
    }
    const a = assess(w);
    expect(a[x]!.flags).toEqual(['HOTSPOT_WITNESS_RING']);
    expect(a[y]!.flags).toEqual(['HOTSPOT_WITNESS_RING']);
    expect(a[x]!.component).toBe(2);
    expect(a.slice(0, 16).map((z) => z.flags)).toEqual(grid().map(() => []));
    const off = assessHotspots(
      w.f.facts,
      judgeFacts(w.f.facts, w.p),
      testParams({ 'coverage.ringMaxSize': 0n }).p,
    );
    expect(off[x]!.flags).toEqual([]);
  });

  it('flags replayed and unchallenged beacons from the governed count on', () => {
    const w = neighbourhood(grid(), 1);
    const h = w.hs[0]!;
    const { round } = w.f.round(T, h);
    w.f.beacon(h, { round, at: T + w.p.entropyLifeS * 1000 + 5 });
    expect(assess(w)[0]!.flags).toEqual([]);
    const other = w.f.round(T + 1, h, false);
    w.f.beacon(h, { round: other.round, at: T + 2 });
    const a = assess(w);
    expect(a[0]!.replays).toBe(2);
    expect(a[0]!.flags).toEqual(['HOTSPOT_BEACON_REPLAY']);
  });

  it('flags a hotspot paid by its own operator for data', () => {
    const w = neighbourhood(grid(), 1);
    w.f.facts.sessions.push(['0x01', 3, '0x00000000000000000000000000000000000000aa', 1, '500', '12000']);
    w.f.facts.sessions.push(['0x02', 4, '0x00000000000000000000000000000000000000bb', 0, '500', '12000']);
    const a = assess(w);
    expect(a[3]!.flags).toEqual(['HOTSPOT_SELF_DEALING']);
    expect(a[4]!.flags).toEqual([]);
  });

  it('flags a denylisted hotspot even without reports', () => {
    const w = neighbourhood(grid(), 1);
    const quiet = w.f.hotspot(77, cellAt(5_000, 5_000));
    const { p } = testParams({ 'coverage.deny.0': BigInt(w.f.facts.hotspots[quiet]!.id) });
    const a = assessHotspots(w.f.facts, judgeFacts(w.f.facts, p), p);
    expect(a[quiet]!.flags).toEqual(['HOTSPOT_DENYLISTED']);
  });

  it('attributes hard physics violations to the hotspot that breaks physics on most of its links', () => {
    const sites = grid();
    // Asserts 60 km away: every link it has is impossibly strong for that distance.
    sites.push({ real: [900, 900], asserted: [60_000, 0] });
    const a = assess(neighbourhood(sites));
    expect(a[16]!.flags).toContain('HOTSPOT_PHYSICS_VIOLATIONS');
    expect(a[16]!.badLinks).toBeGreaterThanOrEqual(3);
    for (const x of a.slice(0, 16)) expect(x.flags).not.toContain('HOTSPOT_PHYSICS_VIOLATIONS');
  });
});
