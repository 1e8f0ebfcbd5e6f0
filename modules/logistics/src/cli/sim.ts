import { BaseError, type GroundworkModule, type ModuleCommand } from '@groundwork/node';
import { runLogisticsSim } from '../sim/run.ts';
import { parseFlags } from './args.ts';

const usage = '[--shipments <n>] [--seed <text>] [--json] [--report-dir <dir>]';

/**
 * `groundwork sim --module logistics`: cold-chain shipments across several
 * hand-offs on a throw-away chain; prints the breaches found against those
 * expected and whether proof verification caught the edited reading. Exit 1
 * when a breach was missed or invented, or the tampering went unnoticed.
 */
export function simCommand(module: () => GroundworkModule): ModuleCommand {
  return {
    summary:
      'simulate cold-chain shipments: breaches found, roots anchored, a stored reading edited and caught',
    usage,
    async run(argv) {
      const { values } = parseFlags(
        argv,
        {
          shipments: { type: 'string' },
          seed: { type: 'string' },
          json: { type: 'boolean' },
          'report-dir': { type: 'string' },
        },
        `groundwork sim --module logistics ${usage}`,
      );
      const n = values.shipments === undefined ? 50 : Number(values.shipments);
      if (!Number.isInteger(n) || n < 1 || n > 2000)
        throw new BaseError(
          'USAGE',
          `--shipments takes a whole number from 1 to 2000, got "${values.shipments}"`,
        );
      const outcome = await runLogisticsSim({
        shipments: n,
        seed: values.seed ?? 'groundwork',
        module: module(),
        progress: values.json ? undefined : (line) => process.stderr.write(`sim: ${line}\n`),
        ...(values['report-dir'] ? { reportDir: values['report-dir'] } : {}),
      });
      const s = outcome.summary;
      if (values.json) process.stdout.write(`${JSON.stringify(s)}\n`);
      else {
        const d = outcome.details;
        process.stdout.write(
          `${JSON.stringify(s, null, 2)}\n` +
            `breaches: ${s.breaches} found, ${s.breachesExpected} expected` +
            `${d.missed.length ? `; MISSED ${JSON.stringify(d.missed)}` : ''}${d.unexpected.length ? `; UNEXPECTED ${JSON.stringify(d.unexpected)}` : ''}\n` +
            `proofs: ${d.proofsVerified} verified against the chain, ${d.proofsInvalid} invalid\n` +
            `tampering: ${d.tamper.editedBy} set reading ${d.tamper.recordId} from ${d.tamper.tempBeforeMc / 1000} °C to ${d.tamper.tempAfterMc / 1000} °C; ` +
            `verification failed on ${d.tamper.failedChecks.join(', ')} -> ${s.tamperingCaught ? 'CAUGHT' : 'NOT CAUGHT'}\n` +
            `(${d.readings} readings from ${d.trackers} trackers, ${d.handoffs} hand-offs, ${d.seconds} s)\n`,
        );
      }
      const clean =
        s.breaches === s.breachesExpected && outcome.details.missed.length === 0 && s.tamperingCaught;
      return clean ? 0 : 1;
    },
  };
}
