import { describe, expect, it } from 'vitest';
import { nextFleetReading } from './fleet.ts';
import { intervalBody, siteBody } from './schemas.ts';
import { params } from './test/fixtures.ts';

describe('the groundwork up fleet’s meters', () => {
  it('declare their site first, then report each ended slot once, with registers that follow the slot number', () => {
    const p = params();
    const noon = Date.UTC(2030, 5, 21, 12, 0, 30);
    const first = nextFleetReading(7, noon, p);
    expect(first.kind).toBe('energy.site');
    expect(siteBody.safeParse(first.body).success).toBe(true);
    const read = nextFleetReading(7, noon + 500, p);
    expect(read.kind).toBe('energy.interval');
    const body = intervalBody.parse(read.body);
    expect(body.end).toBe(Date.UTC(2030, 5, 21, 12, 0));
    expect(nextFleetReading(7, noon + 1000, p).kind).toBe('energy.site');
    const next = intervalBody.parse(nextFleetReading(7, noon + 900_000, p).body);
    expect(next.start).toBe(body.end);
    // Contiguous reads: the registers move by exactly the interval energy; midday exports, night does not.
    expect(next.wh_import_total! - body.wh_import_total!).toBe(next.wh_import);
    expect(next.wh_export_total! - body.wh_export_total!).toBe(next.wh_export);
    expect(next.wh_export).toBeGreaterThan(0);
    expect(nextFleetReading(8, Date.UTC(2030, 5, 21, 2, 0, 30), p).kind).toBe('energy.site');
    const night = intervalBody.parse(nextFleetReading(8, Date.UTC(2030, 5, 21, 2, 0, 31), p).body);
    expect(night.wh_export).toBe(0);
  });
});
