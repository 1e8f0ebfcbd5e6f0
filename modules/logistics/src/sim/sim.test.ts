import { describe, expect, it } from 'vitest';
import logistics from '../index.ts';
import { runLogisticsSim, type SimOutcome } from './run.ts';
import { planScenario } from './scenario.ts';

describe('groundwork sim --module logistics', () => {
  it('plans the same scenario for the same seed, and another for another seed', () => {
    const a = planScenario('ci', 50, 1_767_225_600_000);
    const b = planScenario('ci', 50, 1_767_225_600_000);
    expect(b).toEqual(a);
    expect(a.injected.map((i) => i.kind).sort()).toEqual([
      'corridor',
      'shock',
      'temperature',
      'temperature',
      'temperature',
      'temperature',
      'temperature',
    ]);
    expect(planScenario('other', 50, 1_767_225_600_000).shipments[0]).not.toEqual(a.shipments[0]);
  });

  it('refuses a bad shipment count before starting anything', async () => {
    await expect(logistics.cli!.simulate!.run(['--shipments', '0'])).rejects.toThrow(
      '--shipments takes a whole number',
    );
  });

  let outcome: SimOutcome;
  it('finds every breach, anchors every record, and catches the edited reading (seed "ci", 50 shipments)', async () => {
    outcome = await runLogisticsSim({ shipments: 50, seed: 'ci', module: logistics });
    // What `groundwork sim --module logistics --shipments 50 --json --seed ci` prints.
    expect(JSON.stringify(outcome.summary)).toBe(
      '{"shipments":50,"records":4432,"anchors":6,"breaches":7,"breachesExpected":7,"tamperingCaught":true}',
    );
    const d = outcome.details;
    expect(d.missed).toEqual([]);
    expect(d.unexpected).toEqual([]);
    expect(d.blipsIgnored).toBe(1);
    expect(d.envelopesRejected).toBe(0);
    expect([d.readings, d.handoffs, d.alerts]).toEqual([4256, 169, 7]);
    expect(d.readings + d.handoffs + d.alerts).toBe(outcome.summary.records);
    expect([d.proofsVerified, d.proofsInvalid, d.apiProofsVerified]).toEqual([4432, 0, 3]);
    expect(d.outsiderStatus).toBe(403);
    expect(d.tamper.tempBeforeMc).toBeGreaterThan(8_000);
    expect(d.tamper.failedChecks).toEqual(['record id', 'leaf', 'device signature', 'merkle path']);
    expect(d.tamper.auditFailed).toEqual([d.tamper.recordId]);
    expect(d.tamper.reportIntegrityFailed).toBe(1);
    expect(d.seconds).toBeLessThan(60);
  }, 120_000);
});
