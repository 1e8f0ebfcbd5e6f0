/**
 * Load generator of the ingest benchmark, run as its own process so that its
 * memory never counts in the node's RSS: `node --import tsx
 * bench/ingestLoad.ts <job.json>`. It reads the job (pre-serialized HTTP
 * bodies or MQTT messages), connects, reports `{"event":"ready"}` over IPC,
 * sends everything when the parent answers `go`, and reports
 * `{"event":"done",…counts}`.
 *
 * MQTT: every device publishes to its own up topic and subscribes to its own
 * down topic first (docs/PROTOCOL.md §8A.1), one envelope per message at
 * QoS 1, and keeps one message in flight (§8A.6); each connection also keeps
 * at most `window` messages in flight. A message is settled by its PUBACK
 * (`settle: 'puback'`, the embedded broker: PUBACK after commit) or by its
 * verdict (`settle: 'verdict'`, an external broker, whose PUBACK only says it
 * took the message).
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import mqtt, { type MqttClient } from 'mqtt';

export interface HttpLoadJob {
  kind: 'http';
  url: string;
  /** One list of request bodies per concurrent lane, sent in order. */
  lanes: string[][];
}

export interface MqttLoadJob {
  kind: 'mqtt';
  url: string;
  protocolVersion: 4 | 5;
  /** Most messages in flight per connection. */
  window: number;
  settle: 'puback' | 'verdict';
  /** One entry per connection: its messages in publish order. */
  clients: { clientId: string; messages: { device: string; payload: string }[] }[];
}

export type LoadJob = HttpLoadJob | MqttLoadJob;

export interface LoadResult {
  event: 'done';
  /** Envelopes answered `accepted`. */
  accepted: number;
  /** Envelopes answered otherwise, by reason. */
  rejected: Record<string, number>;
  /** PUBACKs received (MQTT). */
  pubacks: number;
  /** Verdict messages received on down topics (MQTT). */
  verdicts: number;
  /** CPU time this process spent from `go` to done, in µs. */
  cpuMicros: number;
}

const send = (m: object) => new Promise<void>((resolve) => process.send!(m, undefined, {}, () => resolve()));

/**
 * HTTP: node:http over keep-alive connections (one per lane), bodies encoded
 * before `go`. Measured against fetch: undici's fetch cost this process about
 * 7 µs per envelope, CPU taken from the very cores the node runs on.
 */
function prepareHttp(job: HttpLoadJob, r: LoadResult): () => Promise<void> {
  const url = new URL(job.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: job.lanes.length });
  const lanes = job.lanes.map((bodies) => bodies.map((b) => Buffer.from(b, 'utf8')));
  const post = (body: Buffer) =>
    new Promise<void>((resolve, reject) => {
      const req = http.request(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', 'content-length': body.length },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            if (res.statusCode !== 202) return reject(new Error(`status ${res.statusCode} ${text}`));
            const json = JSON.parse(text) as { results: { status: string; reason?: string }[] };
            for (const v of json.results) count(r, v);
            resolve();
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  const lane = async (bodies: Buffer[]) => {
    for (const body of bodies) await post(body);
  };
  return () => Promise.all(lanes.map(lane)).then(() => agent.destroy());
}

function count(r: LoadResult, v: { status: string; reason?: string }): void {
  if (v.status === 'accepted') r.accepted++;
  else r.rejected[v.reason ?? '?'] = (r.rejected[v.reason ?? '?'] ?? 0) + 1;
}

/** Connects every client and subscribes each to its devices' down topics; returns the runner. */
async function prepareMqtt(job: MqttLoadJob, r: LoadResult): Promise<() => Promise<void>> {
  const lanes = await Promise.all(
    job.clients.map(async (c) => {
      const client = await mqtt.connectAsync(job.url, {
        clientId: c.clientId,
        protocolVersion: job.protocolVersion,
        clean: true,
        reconnectPeriod: 0,
        connectTimeout: 10_000,
      });
      const devices = [...new Set(c.messages.map((m) => m.device))];
      for (let i = 0; i < devices.length; i += 500) {
        await client.subscribeAsync(
          devices.slice(i, i + 500).map((d) => `groundwork/v1/${d}/down`),
          { qos: 1 },
        );
      }
      return { client, messages: c.messages };
    }),
  );
  return () => Promise.all(lanes.map((l) => runLane(job, l.client, l.messages, r))).then(() => undefined);
}

function runLane(
  job: MqttLoadJob,
  client: MqttClient,
  messages: { device: string; payload: string }[],
  r: LoadResult,
): Promise<void> {
  return new Promise((resolve, reject) => {
    // Devices with a message not yet settled.
    const busy = new Set<string>();
    let next = 0;
    let inFlight = 0;
    let settled = 0;
    let answered = 0;
    let failed = false;
    const fail = (err: Error) => {
      if (failed) return;
      failed = true;
      reject(err);
    };
    const done = (device: string) => {
      busy.delete(device);
      inFlight--;
      settled++;
      pump();
      finish();
    };
    // Done once every message is settled and every verdict has come.
    const finish = () => {
      if (settled === messages.length && answered === messages.length) resolve();
    };
    client.on('message', (topic, payload) => {
      r.verdicts++;
      const device = topic.split('/')[2]!;
      const m = JSON.parse(payload.toString()) as {
        results?: { status: string; reason?: string }[];
        error?: unknown;
      };
      if (!m.results) return fail(new Error(`error verdict for ${device}: ${JSON.stringify(m.error)}`));
      for (const v of m.results) count(r, v);
      answered++;
      if (job.settle === 'verdict') done(device);
      else finish();
    });
    client.on('error', fail);
    client.on('close', () => {
      if (answered < messages.length) fail(new Error('connection closed before every message was settled'));
    });
    const pump = () => {
      while (!failed && inFlight < job.window && next < messages.length) {
        const m = messages[next]!;
        // One message in flight per device (§8A.6); the round-robin order makes this wait rare.
        if (busy.has(m.device)) return;
        next++;
        inFlight++;
        busy.add(m.device);
        client.publish(`groundwork/v1/${m.device}/up`, m.payload, { qos: 1 }, (err) => {
          if (err) return fail(err);
          r.pubacks++;
          if (job.settle === 'puback') done(m.device);
        });
      }
    };
    pump();
  });
}

const job = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as LoadJob;
const result: LoadResult = {
  event: 'done',
  accepted: 0,
  rejected: {},
  pubacks: 0,
  verdicts: 0,
  cpuMicros: 0,
};
const run = job.kind === 'http' ? prepareHttp(job, result) : await prepareMqtt(job, result);
process.once('message', () => {
  const cpu = process.cpuUsage();
  run().then(
    async () => {
      const used = process.cpuUsage(cpu);
      result.cpuMicros = used.user + used.system;
      await send(result);
      // The connections are simply dropped: the parent is done with the node.
      process.exit(0);
    },
    (err: Error) => {
      process.stderr.write(`load generator failed: ${err.stack ?? err.message}\n`);
      process.exit(1);
    },
  );
});
await send({ event: 'ready' });
