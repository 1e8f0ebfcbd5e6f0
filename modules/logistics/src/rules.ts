import { distanceToRouteM, type LatLng, waypointToLatLng } from './geo.ts';
import type { Hash } from './merkle.ts';
import type { Route, Rule } from './schemas.ts';

/** A reading as the rule engine sees it (values already parsed from the envelope body). */
export interface RuleReading {
  recordId: Hash;
  device: Hash;
  seq: number;
  at: number;
  tempMc?: number | null | undefined;
  humidityPm?: number | null | undefined;
  lat?: number | null | undefined;
  lng?: number | null | undefined;
  shockMg?: number | null | undefined;
}

/** Alert codes, one per way a rule can be broken. */
export const AlertCode = {
  temperatureHigh: 'TEMPERATURE_HIGH',
  temperatureLow: 'TEMPERATURE_LOW',
  humidityHigh: 'HUMIDITY_HIGH',
  humidityLow: 'HUMIDITY_LOW',
  shock: 'SHOCK_LIMIT_EXCEEDED',
  corridor: 'CORRIDOR_LEFT',
  silence: 'TRACKER_SILENT',
} as const;

/** One breach of one rule: a time interval (merged over the shipment's trackers) and the readings that caused it. */
export interface Breach {
  ruleIndex: number;
  kind: Rule['kind'];
  code: string;
  startAt: number;
  /** Time of the last reading in breach. */
  lastAt: number;
  /** Time of the first reading back within the rule, or null while the breach is still open. */
  endAt: number | null;
  /** (endAt ?? lastAt) − startAt. */
  durationMs: number;
  /** Worst value: milli-°C, per mille, milli-g, metres from the route, or the gap in ms. */
  worst: number;
  trackers: Hash[];
  /** Record ids of the readings in breach, by time. */
  readings: Hash[];
}

interface Part {
  device: Hash;
  startAt: number;
  lastAt: number;
  endAt: number | null;
  worst: number;
  /** How far past the limit `worst` is, to pick the worst part of a merged breach. */
  severity: number;
  code: string;
  readings: { at: number; id: Hash }[];
}

type Violation = { worst: number; severity: number; code: string } | null;

function byTime(a: RuleReading, b: RuleReading): number {
  return a.at - b.at || a.seq - b.seq || (a.recordId < b.recordId ? -1 : a.recordId > b.recordId ? 1 : 0);
}

/** Runs of consecutive violating readings of one tracker's series. */
function runsOf(
  series: readonly RuleReading[],
  check: (r: RuleReading) => Violation,
  toleranceMs: number,
): Part[] {
  const parts: Part[] = [];
  let cur: Part | undefined;
  const close = (endAt: number | null) => {
    if (!cur) return;
    cur.endAt = endAt;
    if ((endAt ?? cur.lastAt) - cur.startAt >= toleranceMs) parts.push(cur);
    cur = undefined;
  };
  for (const r of series) {
    const v = check(r);
    if (!v) {
      close(r.at);
      continue;
    }
    if (!cur) {
      cur = {
        device: r.device,
        startAt: r.at,
        lastAt: r.at,
        endAt: null,
        worst: v.worst,
        severity: v.severity,
        code: v.code,
        readings: [],
      };
    }
    cur.lastAt = r.at;
    cur.readings.push({ at: r.at, id: r.recordId });
    if (v.severity > cur.severity) {
      cur.worst = v.worst;
      cur.severity = v.severity;
      cur.code = v.code;
    }
  }
  close(null);
  return parts;
}

function band(value: number, min: number, max: number, high: string, low: string): Violation {
  if (value > max) return { worst: value, severity: value - max, code: high };
  if (value < min) return { worst: value, severity: min - value, code: low };
  return null;
}

/** Per-tracker breach parts of one rule. */
function partsOf(rule: Rule, series: readonly RuleReading[], route: readonly LatLng[]): Part[] {
  switch (rule.kind) {
    case 'temperature':
      return runsOf(
        series.filter((r) => r.tempMc != null),
        (r) => band(r.tempMc!, rule.minMc, rule.maxMc, AlertCode.temperatureHigh, AlertCode.temperatureLow),
        rule.toleranceSeconds * 1000,
      );
    case 'humidity':
      return runsOf(
        series.filter((r) => r.humidityPm != null),
        (r) => band(r.humidityPm!, rule.minPm, rule.maxPm, AlertCode.humidityHigh, AlertCode.humidityLow),
        rule.toleranceSeconds * 1000,
      );
    case 'shock':
      return runsOf(
        series.filter((r) => r.shockMg != null),
        (r) =>
          r.shockMg! > rule.maxMg
            ? { worst: r.shockMg!, severity: r.shockMg! - rule.maxMg, code: AlertCode.shock }
            : null,
        0,
      );
    case 'corridor': {
      if (route.length === 0) return [];
      return runsOf(
        series.filter((r) => r.lat != null && r.lng != null),
        (r) => {
          const d = Math.round(distanceToRouteM({ lat: r.lat!, lng: r.lng! }, route));
          return d > rule.widthM ? { worst: d, severity: d - rule.widthM, code: AlertCode.corridor } : null;
        },
        rule.toleranceSeconds * 1000,
      );
    }
    case 'silence': {
      const parts: Part[] = [];
      const maxGap = rule.maxGapSeconds * 1000;
      for (let i = 1; i < series.length; i++) {
        const prev = series[i - 1]!;
        const next = series[i]!;
        const gap = next.at - prev.at;
        if (gap > maxGap) {
          parts.push({
            device: prev.device,
            startAt: prev.at,
            lastAt: prev.at,
            endAt: next.at,
            worst: gap,
            severity: gap - maxGap,
            code: AlertCode.silence,
            readings: [
              { at: prev.at, id: prev.recordId },
              { at: next.at, id: next.recordId },
            ],
          });
        }
      }
      return parts;
    }
  }
}

/**
 * Evaluates a shipment's rules over its readings: per tracker, runs of
 * readings that break a rule (a run ends at the first reading back within
 * it); a run is a breach once it has lasted the rule's tolerance; then the
 * breaches of one rule are merged across trackers where their intervals
 * overlap, so one excursion seen by three trackers is one breach.
 *
 * Guarantees:
 * - deterministic, and independent of the order of `readings`;
 * - breaches are sorted by (ruleIndex, startAt), and two breaches of one rule never overlap;
 * - every reading id in a breach is one of the inputs, and breaks that rule;
 * - with tolerance 0 every reading that breaks a value rule is in some breach.
 */
export function evaluateRules(
  rules: readonly Rule[],
  route: Route,
  readings: readonly RuleReading[],
): Breach[] {
  const path = route.waypoints.map(waypointToLatLng);
  const byDevice = new Map<Hash, RuleReading[]>();
  for (const r of [...readings].sort(byTime)) {
    const list = byDevice.get(r.device);
    if (list) list.push(r);
    else byDevice.set(r.device, [r]);
  }
  const devices = [...byDevice.keys()].sort();
  const out: Breach[] = [];
  rules.forEach((rule, ruleIndex) => {
    const parts = devices.flatMap((d) => partsOf(rule, byDevice.get(d)!, path));
    parts.sort((a, b) => a.startAt - b.startAt || (a.device < b.device ? -1 : 1));
    let group: Part[] = [];
    let groupEnd = Number.NEGATIVE_INFINITY;
    const flush = () => {
      if (group.length === 0) return;
      const worstPart = group.reduce((w, p) => (p.severity > w.severity ? p : w));
      const open = group.some((p) => p.endAt === null);
      const lastAt = Math.max(...group.map((p) => p.lastAt));
      const endAt = open ? null : Math.max(...group.map((p) => p.endAt!));
      const startAt = group[0]!.startAt;
      const seen = new Set<Hash>();
      const ids = group
        .flatMap((p) => p.readings)
        .sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : 1))
        .filter((r) => {
          if (seen.has(r.id)) return false;
          seen.add(r.id);
          return true;
        })
        .map((r) => r.id);
      out.push({
        ruleIndex,
        kind: rule.kind,
        code: worstPart.code,
        startAt,
        lastAt,
        endAt,
        durationMs: (endAt ?? lastAt) - startAt,
        worst: worstPart.worst,
        trackers: [...new Set(group.map((p) => p.device))].sort(),
        readings: ids,
      });
      group = [];
    };
    for (const p of parts) {
      const end = p.endAt ?? p.lastAt;
      if (group.length > 0 && p.startAt > groupEnd) flush();
      if (group.length === 0) groupEnd = end;
      group.push(p);
      groupEnd = Math.max(groupEnd, end);
    }
    flush();
  });
  return out;
}

/** Whether a breach is the one an existing alert reported: the same rule and overlapping intervals. */
export function sameBreach(
  breach: Pick<Breach, 'ruleIndex' | 'startAt' | 'lastAt' | 'endAt'>,
  alert: { ruleIndex: number; startAt: number; lastAt: number },
): boolean {
  const end = breach.endAt ?? breach.lastAt;
  return breach.ruleIndex === alert.ruleIndex && breach.startAt <= alert.lastAt && alert.startAt <= end;
}
