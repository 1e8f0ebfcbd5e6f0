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

import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { createConnection, type Socket } from 'node:net';

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

/** MQTT remaining length (1–4 bytes of 7 bits, low first). */
function varint(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return out;
}

function str(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  const len = Buffer.allocUnsafe(2);
  len.writeUInt16BE(b.length);
  return Buffer.concat([len, b]);
}

function packet(first: number, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.from([first, ...varint(body.length)]), body]);
}

/**
 * A PUBLISH at QoS 1 with packet id 0 and the offset of that id, so a send
 * only writes the id in: the messages are encoded before `go`, as a device's
 * firmware would have them ready, and encoding is not counted as load.
 */
function encodePublish(topic: string, payload: string, v5: boolean): { bytes: Buffer; idAt: number } {
  const t = str(topic);
  const bytes = packet(
    0x32,
    t,
    Buffer.alloc(2),
    v5 ? Buffer.from([0]) : Buffer.alloc(0),
    Buffer.from(payload),
  );
  return { bytes, idAt: bytes.length - payload.length - (v5 ? 1 : 0) - 2 };
}

interface Wire {
  socket: Socket;
  /** Calls `on(type, flags, body)` for each complete packet received. */
  onPacket(on: (type: number, flags: number, body: Buffer) => void): void;
  /**
   * Writes `b`; everything written in one event-loop turn is copied into one
   * buffer and leaves in one socket write. `b` may be reused once this returns.
   */
  write(b: Buffer): void;
}

/**
 * A raw MQTT connection, written for this benchmark: mqtt.js cost the load
 * generator about 25 µs per message on the node's own cores (bench report of
 * 2026-11-26), this about a tenth of that. It speaks only what the run needs.
 */
async function connectRaw(url: string, clientId: string, version: 4 | 5): Promise<Wire> {
  const u = new URL(url);
  const socket = createConnection({ host: u.hostname, port: Number(u.port || 1883) });
  socket.setNoDelay(true);
  await once(socket, 'connect');
  let handler: (type: number, flags: number, body: Buffer) => void = () => {};
  let rest: Buffer = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    let buf = rest.length > 0 ? Buffer.concat([rest, chunk]) : chunk;
    let i = 0;
    for (;;) {
      if (i + 2 > buf.length) break;
      let length = 0;
      let mult = 1;
      let k = i + 1;
      let complete = false;
      while (k < buf.length) {
        const byte = buf[k++]!;
        length += (byte & 0x7f) * mult;
        mult *= 128;
        if ((byte & 0x80) === 0) {
          complete = true;
          break;
        }
      }
      if (!complete || k + length > buf.length) break;
      handler(buf[i]! >> 4, buf[i]! & 15, buf.subarray(k, k + length));
      i = k + length;
    }
    rest = i < buf.length ? buf.subarray(i) : Buffer.alloc(0);
    buf = rest;
  });
  // One socket.write per turn of a copy of everything written in it: a stream write per
  // packet (two per message) cost this process more than the copy does.
  let out = Buffer.allocUnsafe(1 << 16);
  let outLength = 0;
  const flush = () => {
    socket.write(out.subarray(0, outLength));
    // The written bytes belong to the socket until it has sent them: the next turn gets a new buffer.
    out = Buffer.allocUnsafe(Math.max(1 << 16, outLength));
    outLength = 0;
  };
  const wire: Wire = {
    socket,
    onPacket(on) {
      handler = on;
    },
    write(b) {
      if (outLength === 0) setImmediate(flush);
      if (outLength + b.length > out.length) {
        const bigger = Buffer.allocUnsafe(Math.max(2 * out.length, outLength + b.length));
        out.copy(bigger, 0, 0, outLength);
        out = bigger;
      }
      outLength += b.copy(out, outLength);
    },
  };
  const connack = new Promise<void>((resolve, reject) => {
    wire.onPacket((type, _flags, body) => {
      if (type !== 2) return reject(new Error(`expected CONNACK, got packet type ${type}`));
      if (body[1] !== 0) return reject(new Error(`CONNACK refused the connection (code ${body[1]})`));
      resolve();
    });
    socket.once('error', reject);
  });
  // Clean session, keep-alive 0 (none: the run never idles).
  const header = Buffer.from([
    0,
    4,
    0x4d,
    0x51,
    0x54,
    0x54,
    version,
    0x02,
    0,
    0,
    ...(version === 5 ? [0] : []),
  ]);
  wire.write(packet(0x10, header, str(clientId)));
  await connack;
  return wire;
}

/** Subscribes to `filters` at QoS 1 in SUBSCRIBE packets of 500; fails on any refusal. */
async function subscribeRaw(wire: Wire, filters: string[], version: 4 | 5): Promise<void> {
  for (let i = 0; i < filters.length; i += 500) {
    const chunk = filters.slice(i, i + 500);
    const id = 1 + i / 500;
    const done = new Promise<void>((resolve, reject) => {
      wire.onPacket((type, _flags, body) => {
        if (type !== 9 || body.readUInt16BE(0) !== id) return reject(new Error(`expected SUBACK ${id}`));
        const codes = body.subarray(version === 5 ? 3 + body[2]! : 2);
        if (codes.some((c) => c >= 0x80)) return reject(new Error('a subscription was refused'));
        resolve();
      });
    });
    const idBytes = Buffer.from([id >> 8, id & 0xff, ...(version === 5 ? [0] : [])]);
    wire.write(packet(0x82, idBytes, ...chunk.map((f) => Buffer.concat([str(f), Buffer.from([1])]))));
    await done;
  }
}

/** Connects every client and subscribes each to its devices' down topics; returns the runner. */
async function prepareMqtt(job: MqttLoadJob, r: LoadResult): Promise<() => Promise<void>> {
  const v5 = job.protocolVersion === 5;
  const lanes = await Promise.all(
    job.clients.map(async (c) => {
      const wire = await connectRaw(job.url, c.clientId, job.protocolVersion);
      const devices = [...new Set(c.messages.map((m) => m.device))];
      await subscribeRaw(
        wire,
        devices.map((d) => `groundwork/v1/${d}/down`),
        job.protocolVersion,
      );
      const messages = c.messages.map((m) => ({
        device: m.device,
        ...encodePublish(`groundwork/v1/${m.device}/up`, m.payload, v5),
      }));
      return { wire, messages };
    }),
  );
  return () => Promise.all(lanes.map((l) => runLane(job, l.wire, l.messages, r))).then(() => undefined);
}

const DOWN_PREFIX = 'groundwork/v1/';
const DOWN_SUFFIX = '/down';
/** How a verdict of one accepted envelope starts (docs/PROTOCOL.md §8A.4); the seq and `}]}` follow. */
const ACCEPTED = Buffer.from('{"results":[{"index":0,"status":"accepted","seq":');

/**
 * The device of a verdict PUBLISH's topic (`body` from its variable header
 * on), read only where it is needed: to settle by verdict, or to report an
 * error. (A closure per message would cost, under tsx, a defineProperty each.)
 */
function deviceOfDown(body: Buffer): string {
  const topicEnd = 2 + body.readUInt16BE(0);
  return body.toString('utf8', 2 + DOWN_PREFIX.length, topicEnd - DOWN_SUFFIX.length);
}

function runLane(
  job: MqttLoadJob,
  wire: Wire,
  messages: { device: string; bytes: Buffer; idAt: number }[],
  r: LoadResult,
): Promise<void> {
  return new Promise((resolve, reject) => {
    // Devices by number (their order of first appearance), so the per-message
    // bookkeeping is typed arrays, not maps of 66-character strings.
    const numberOf = new Map<string, number>();
    const deviceNumbers = Int32Array.from(messages, (m) => {
      let k = numberOf.get(m.device);
      if (k === undefined) numberOf.set(m.device, (k = numberOf.size));
      return k;
    });
    // Devices with a message not yet settled.
    const busy = new Uint8Array(numberOf.size);
    let busyCount = 0;
    // Packet id → the number of the device whose message it carries, or -1.
    const inFlightIds = new Int32Array(0x10000).fill(-1);
    const pubackOut = Buffer.from([0x40, 2, 0, 0]);
    let nextId = 1;
    let next = 0;
    let settled = 0;
    let answered = 0;
    let failed = false;
    const fail = (err: Error) => {
      if (failed) return;
      failed = true;
      reject(err);
    };
    const done = (device: number) => {
      busy[device] = 0;
      busyCount--;
      settled++;
      pump();
      finish();
    };
    // Done once every message is settled and every verdict has come.
    const finish = () => {
      if (settled === messages.length && answered === messages.length) resolve();
    };
    wire.onPacket((type, flags, body) => {
      if (type === 4) {
        // PUBACK: packet id, then (MQTT 5) a reason code when not success.
        const id = body.readUInt16BE(0);
        const device = inFlightIds[id]!;
        if (device === -1) return fail(new Error(`PUBACK for unknown packet id ${id}`));
        if (body.length > 2 && body[2]! >= 0x80) return fail(new Error(`PUBACK reason ${body[2]}`));
        inFlightIds[id] = -1;
        r.pubacks++;
        if (job.settle === 'puback') done(device);
        return;
      }
      if (type !== 3) return fail(new Error(`unexpected packet type ${type}`));
      // A verdict: topic, packet id (QoS 1), (MQTT 5) properties, payload.
      const qos = (flags >> 1) & 3;
      const topicEnd = 2 + body.readUInt16BE(0);
      let p = topicEnd;
      if (qos > 0) {
        pubackOut[2] = body[p]!;
        pubackOut[3] = body[p + 1]!;
        wire.write(pubackOut);
        p += 2;
      }
      if (job.protocolVersion === 5) {
        let length = 0;
        let mult = 1;
        for (;;) {
          const byte = body[p++]!;
          length += (byte & 0x7f) * mult;
          mult *= 128;
          if ((byte & 0x80) === 0) break;
        }
        p += length;
      }
      r.verdicts++;
      // The usual verdict, one envelope accepted, is recognised without a parse.
      if (
        body.length - p > ACCEPTED.length &&
        body.compare(ACCEPTED, 0, ACCEPTED.length, p, p + ACCEPTED.length) === 0 &&
        body.indexOf(0x7b, p + ACCEPTED.length) === -1
      ) {
        r.accepted++;
      } else {
        const m = JSON.parse(body.toString('utf8', p)) as {
          results?: { status: string; reason?: string }[];
          error?: unknown;
        };
        if (!m.results)
          return fail(new Error(`error verdict for ${deviceOfDown(body)}: ${JSON.stringify(m.error)}`));
        for (const v of m.results) count(r, v);
      }
      answered++;
      if (job.settle === 'verdict') {
        const device = numberOf.get(deviceOfDown(body));
        if (device === undefined || busy[device] === 0)
          return fail(new Error(`verdict for a device with no message in flight: ${deviceOfDown(body)}`));
        done(device);
      } else finish();
    });
    wire.socket.on('error', fail);
    wire.socket.on('close', () => {
      if (answered < messages.length) fail(new Error('connection closed before every message was settled'));
    });
    const pump = () => {
      while (!failed && busyCount < job.window && next < messages.length) {
        const m = messages[next]!;
        const device = deviceNumbers[next]!;
        // One message in flight per device (§8A.6); the round-robin order makes this wait rare.
        if (busy[device] === 1) return;
        next++;
        busy[device] = 1;
        busyCount++;
        while (inFlightIds[nextId] !== -1) nextId = nextId === 0xffff ? 1 : nextId + 1;
        const id = nextId;
        nextId = nextId === 0xffff ? 1 : nextId + 1;
        inFlightIds[id] = device;
        m.bytes.writeUInt16BE(id, m.idAt);
        wire.write(m.bytes);
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
