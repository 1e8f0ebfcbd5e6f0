import { LIMITS, type ReasonCode } from '@groundwork/protocol';
import mqtt, { type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import { BaseError, RetryableError } from '../internal/errors.ts';
import type { Logger } from '../internal/logger.ts';
import type { Metrics } from '../internal/metrics.ts';
import type { EnvelopeVerdict } from './ingest.ts';

/** First two levels of every Groundwork topic (docs/PROTOCOL.md §8A). */
export const MQTT_TOPIC_ROOT = 'groundwork/v1';

/** The filter that matches every device's up topic. */
export const MQTT_UP_FILTER = `${MQTT_TOPIC_ROOT}/+/up`;

/** Shared-subscription group the ingest workers of one network join by default. */
export const DEFAULT_MQTT_GROUP = 'groundwork';

/** Topic a device publishes its envelopes to. */
export function mqttUpTopic(deviceId: string): string {
  return `${MQTT_TOPIC_ROOT}/${deviceId}/up`;
}

/** Topic a device receives its verdicts on. */
export function mqttDownTopic(deviceId: string): string {
  return `${MQTT_TOPIC_ROOT}/${deviceId}/down`;
}

/**
 * The `<device>` level of `groundwork/v1/<device>/up`, or undefined for any
 * other topic (more or fewer levels, an empty device level).
 */
export function deviceOfUpTopic(topic: string): string | undefined {
  return deviceOfTopic(topic, '/up');
}

/** The `<device>` level of `groundwork/v1/<device>/down`, or undefined for any other topic. */
export function deviceOfDownTopic(topic: string): string | undefined {
  return deviceOfTopic(topic, '/down');
}

function deviceOfTopic(topic: string, suffix: '/up' | '/down'): string | undefined {
  const prefix = `${MQTT_TOPIC_ROOT}/`;
  if (!topic.startsWith(prefix) || !topic.endsWith(suffix)) return undefined;
  const device = topic.slice(prefix.length, topic.length - suffix.length);
  return device.length > 0 && !device.includes('/') ? device : undefined;
}

/** Ingest's entry point as the MQTT paths need it: `Ingestor.ingestBatch`. */
export type IngestBatchFn = (inputs: readonly unknown[]) => Promise<EnvelopeVerdict[]>;

/**
 * One envelope's verdict on `/down`: the HTTP verdict (§8.2), and on a
 * rejection also the envelope's `seq` when it had a usable one, so a device
 * can match every verdict to what it sent.
 */
export type MqttVerdict =
  | { index: number; status: 'accepted'; seq: number }
  | { index: number; status: 'rejected'; reason: ReasonCode; seq?: number };

/** Why a whole `/up` message was refused; nothing in it was processed. Same codes as HTTP §8.3. */
export const MqttPayloadError = {
  /** The payload is not UTF-8 JSON. */
  MALFORMED_JSON: 'MALFORMED_JSON',
  /** A batch whose `envelopes` is not a non-empty array. */
  BAD_REQUEST: 'BAD_REQUEST',
  /** A batch of more than `LIMITS.maxBatchEnvelopes` envelopes. */
  BATCH_TOO_LARGE: 'BATCH_TOO_LARGE',
  /** A payload of more than `LIMITS.maxRequestBytes` bytes. */
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
} as const;

/** One of the {@link MqttPayloadError} codes. */
export type MqttPayloadErrorCode = (typeof MqttPayloadError)[keyof typeof MqttPayloadError];

/** Body of a message on `/down`: one verdict per envelope, or why the message was refused. */
export type MqttDownMessage =
  | { results: MqttVerdict[] }
  | { error: { code: MqttPayloadErrorCode; message: string } };

/** What to publish in answer to one `/up` message. */
export interface MqttReply {
  topic: string;
  payload: string;
  message: MqttDownMessage;
}

/** Options shared by both MQTT paths (embedded broker and external broker). */
export interface UpMessageHandlerOptions {
  ingestBatch: IngestBatchFn;
  log: Logger;
  /** Counts the rejections made before ingest (topic/device mismatch) like ingest's own. */
  metrics?: Metrics;
  /** Most envelopes per `ingestBatch` call (group commit size). Default `LIMITS.maxBatchEnvelopes`. */
  maxBatchEnvelopes?: number;
  /** How long the first message of an idle group waits for company, in ms. Default 2; 0 = next tick. */
  maxWaitMs?: number;
  /**
   * Most `ingestBatch` calls at once. Default 4: batches' signatures are
   * checked while an earlier batch commits, and the verify workers still
   * have a batch while one commits and the next is parsed. With 2, the
   * one-envelope-per-message bench run was 0.78 of the raw verify rate
   * against 0.83 with 3 (medians of ten alternating runs each, ÷ adjacent
   * rounds; 7 of the 10 pairs favoured 3). Against 3, eight alternating
   * pairs each: 4 was faster in 6 (median ratio to the best round 0.813
   * against 0.79), 6 in 7 (0.796 against 0.772); an A/A control of the same
   * harness (3 against 3) gave 3 of 8 and equal medians. 1 = strictly one
   * after another.
   */
  maxConcurrentBatches?: number;
  /** Largest payload taken, in bytes. Default `LIMITS.maxRequestBytes`. */
  maxPayloadBytes?: number;
}

/** Wait between retries while ingest refuses work with OVERLOADED; the messages stay unacknowledged meanwhile. */
const OVERLOAD_RETRY_MS = 50;

interface GroupOptions {
  ingestBatch: IngestBatchFn;
  log: Logger;
  maxBatch: number;
  maxWaitMs: number;
  maxCalls: number;
}

interface Job {
  items: unknown[];
  resolve: (verdicts: EnvelopeVerdict[]) => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit in front of `ingestBatch`: messages that arrive within
 * `maxWaitMs` of each other, or while a call is running, go to ingest as one
 * batch. Up to `maxCalls` calls run at once, so the signatures of one batch
 * are checked (in the verify workers) while the previous one commits (on this
 * thread). Calls are made in arrival order and ingest commits them in the
 * order they were made, and no call is started while an earlier one waits on
 * OVERLOADED, so a device's messages reach the store in the order they arrived.
 */
class IngestGroups {
  readonly #o: GroupOptions;
  readonly #jobs: Job[] = [];
  #queued = 0;
  #running = 0;
  #calls = 0;
  /** Calls waiting to retry after OVERLOADED: no later call may start meanwhile. */
  #holding = 0;
  #timer: (() => void) | undefined;
  #closed = false;
  #idle: (() => void)[] = [];
  batches = 0;

  constructor(o: GroupOptions) {
    this.#o = o;
  }

  /** Envelopes waiting for or inside an `ingestBatch` call. */
  get pending(): number {
    return this.#queued + this.#running;
  }

  /**
   * Queues `items` for the next `ingestBatch` call; resolves with their
   * verdicts in order. A verdict's `index` is its place in that whole call,
   * not in `items`: callers go by position.
   */
  submit(items: unknown[]): Promise<EnvelopeVerdict[]> {
    return new Promise((resolve, reject) => {
      this.#jobs.push({ items, resolve, reject });
      this.#queued += items.length;
      this.#kick(false);
    });
  }

  /** Resolves once nothing is queued or running. */
  drained(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((r) => this.#idle.push(r));
  }

  close(): void {
    this.#closed = true;
  }

  /**
   * Schedules the next call if one may start: at once for a full batch or for
   * jobs that waited through a call (`waited`), else after `maxWaitMs`. A call
   * always starts from a timer of its own, never synchronously: by then a call
   * that ingest refused with OVERLOADED is already holding the others back.
   */
  #kick(waited: boolean): void {
    if (this.#jobs.length === 0 || this.#calls >= this.#o.maxCalls || this.#holding > 0) return;
    if (waited || this.#queued >= this.#o.maxBatch) {
      this.#timer?.();
      this.#timer = this.#schedule(0, () => this.#start());
    } else {
      this.#timer ??= this.#schedule(this.#o.maxWaitMs, () => this.#start());
    }
  }

  #start(): void {
    this.#timer = undefined;
    if (this.#jobs.length === 0 || this.#calls >= this.#o.maxCalls || this.#holding > 0) return;
    const group: Job[] = [];
    let n = 0;
    while (this.#jobs.length > 0) {
      const next = this.#jobs[0]!;
      if (group.length > 0 && n + next.items.length > this.#o.maxBatch) break;
      this.#jobs.shift();
      group.push(next);
      n += next.items.length;
    }
    this.#queued -= n;
    this.#running += n;
    this.#calls++;
    void this.#ingest(group).finally(() => {
      this.#calls--;
      this.#running -= n;
      this.batches++;
      if (this.pending === 0) for (const r of this.#idle.splice(0)) r();
      // Jobs that arrived during the call have waited at least that long: they go now.
      this.#kick(true);
    });
    // What is left may be the next call: a full batch at once, anything else after maxWaitMs.
    this.#kick(false);
  }

  /** Runs `fn` after `ms` (0: after the pending I/O callbacks); returns its cancel function. */
  #schedule(ms: number, fn: () => void): () => void {
    if (ms <= 0) {
      const t = setImmediate(fn);
      return () => clearImmediate(t);
    }
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  }

  async #ingest(group: Job[]): Promise<void> {
    const inputs = group.flatMap((j) => j.items);
    let holding = false;
    try {
      for (;;) {
        try {
          const verdicts = await this.#o.ingestBatch(inputs);
          let offset = 0;
          for (const j of group) {
            j.resolve(verdicts.slice(offset, offset + j.items.length));
            offset += j.items.length;
          }
          return;
        } catch (err) {
          // Ingest is full (HTTP traffic shares it): keep the messages, unacknowledged,
          // and try again; meanwhile no more are read, which is the back-pressure.
          if ((err as { code?: unknown }).code === 'OVERLOADED' && !this.#closed) {
            if (!holding)
              this.#o.log.warn({ msg: 'ingest overloaded; holding mqtt messages', envelopes: inputs.length });
            if (!holding) this.#holding++;
            holding = true;
            await new Promise((r) => setTimeout(r, OVERLOAD_RETRY_MS));
            continue;
          }
          for (const j of group) j.reject(err);
          return;
        }
      }
    } finally {
      if (holding) this.#holding--;
    }
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function noLog(): void {}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The envelope's seq if it is one a verdict can carry (an integer in 1..2^53-1). */
function usableSeq(item: unknown): number | undefined {
  const seq = isPlainObject(item) ? item.seq : undefined;
  return typeof seq === 'number' && Number.isSafeInteger(seq) && seq >= 1 ? seq : undefined;
}

/** A rejection verdict for `item` at `index`, with its seq when it has a usable one. */
function rejectedVerdict(item: unknown, index: number, reason: ReasonCode): MqttVerdict {
  const seq = usableSeq(item);
  return seq === undefined
    ? { index, status: 'rejected', reason }
    : { index, status: 'rejected', reason, seq };
}

/** The `/down` reply to a message of `device`. */
function downReply(device: string, message: MqttDownMessage): MqttReply {
  return { topic: mqttDownTopic(device), payload: JSON.stringify(message), message };
}

/**
 * Turns one `/up` message into its `/down` reply: decodes the payload (one
 * envelope, or a batch `{"envelopes":[…]}`), rejects envelopes whose `device`
 * is not the topic's, and hands the rest to ingest through group commit. The
 * promise resolves only after ingest has committed the accepted envelopes;
 * it rejects only when ingest failed (nothing of the message was committed),
 * and then the caller must not acknowledge the message. A bad payload is a
 * reply, never an exception.
 */
export class UpMessageHandler {
  readonly #log: Logger;
  readonly #metrics: Metrics | undefined;
  readonly #groups: IngestGroups;
  readonly #maxPayloadBytes: number;

  constructor(o: UpMessageHandlerOptions) {
    this.#log = o.log;
    this.#metrics = o.metrics;
    this.#maxPayloadBytes = o.maxPayloadBytes ?? LIMITS.maxRequestBytes;
    this.#groups = new IngestGroups({
      ingestBatch: o.ingestBatch,
      log: o.log,
      maxBatch: Math.max(1, o.maxBatchEnvelopes ?? LIMITS.maxBatchEnvelopes),
      maxWaitMs: o.maxWaitMs ?? 2,
      maxCalls: Math.max(1, o.maxConcurrentBatches ?? 4),
    });
  }

  /** Envelopes waiting for, or inside, an `ingestBatch` call. */
  get pending(): number {
    return this.#groups.pending;
  }

  /** `ingestBatch` calls made so far. */
  get batches(): number {
    return this.#groups.batches;
  }

  /** Resolves once every message handed in so far has its answer. */
  drained(): Promise<void> {
    return this.#groups.drained();
  }

  /** Stops retrying on OVERLOADED (so a stop does not wait on a full ingest forever). */
  close(): void {
    this.#groups.close();
  }

  /**
   * The reply to a message on `topic`, or undefined when the topic is not an
   * up topic. The payload is decoded before this returns, so the caller's
   * buffer (a socket chunk) is not held while the message waits for ingest.
   */
  handle(topic: string, payload: Uint8Array): Promise<MqttReply | undefined> {
    const device = deviceOfUpTopic(topic);
    if (device === undefined) return Promise.resolve(undefined);
    return this.handleDevice(device, payload);
  }

  /** {@link handle} for a message on the up topic of `device`, already read from the topic. */
  handleDevice(device: string, payload: Uint8Array): Promise<MqttReply> {
    return this.handleMany([{ device, payload }]).then((replies) => replies[0]!);
  }

  /**
   * {@link handleDevice} for several messages at once (the embedded broker's
   * up messages of one socket read): one group-commit job for all their
   * envelopes, one promise, and the replies in message order.
   */
  handleMany(messages: readonly { device: string; payload: Uint8Array }[]): Promise<MqttReply[]> {
    const prepared = new Array<PreparedMessage>(messages.length);
    let envelopes = 0;
    for (let i = 0; i < messages.length; i++) {
      const m = this.#prepare(messages[i]!.device, messages[i]!.payload);
      prepared[i] = m;
      envelopes += m.toIngest.length;
    }
    const finish = (verdicts: readonly EnvelopeVerdict[]): MqttReply[] => {
      const replies = new Array<MqttReply>(prepared.length);
      let at = 0;
      for (let i = 0; i < prepared.length; i++) {
        const m = prepared[i]!;
        replies[i] = m.reply ?? this.#finish(m, verdicts, at);
        at += m.toIngest.length;
      }
      return replies;
    };
    if (envelopes === 0) return Promise.resolve(finish(NO_VERDICTS));
    const all: unknown[] = [];
    for (const m of prepared) for (const item of m.toIngest) all.push(item);
    return this.#groups.submit(all).then(finish);
  }

  /**
   * Everything about a message before ingest: a refusal (too large, not JSON, a
   * bad batch) as its whole reply, or its envelopes — those to ingest, and
   * those rejected already because they name another device than the topic.
   */
  #prepare(device: string, payload: Uint8Array): PreparedMessage {
    // Runs once per message (usually one envelope): no per-call helper closures,
    // which under tsx each cost a defineProperty as well (esbuild keepNames).
    if (payload.byteLength > this.#maxPayloadBytes)
      return this.#refuse(
        device,
        payload,
        'PAYLOAD_TOO_LARGE',
        `payload is larger than ${this.#maxPayloadBytes} bytes`,
      );
    let value: unknown;
    try {
      value = JSON.parse(utf8.decode(payload));
    } catch {
      return this.#refuse(device, payload, 'MALFORMED_JSON', 'payload is not UTF-8 JSON');
    }
    let items: unknown[];
    if (isPlainObject(value) && Object.hasOwn(value, 'envelopes')) {
      const envelopes = value.envelopes;
      if (!Array.isArray(envelopes) || envelopes.length === 0)
        return this.#refuse(
          device,
          payload,
          'BAD_REQUEST',
          'envelopes must be an array of at least one envelope',
        );
      if (envelopes.length > LIMITS.maxBatchEnvelopes)
        return this.#refuse(
          device,
          payload,
          'BATCH_TOO_LARGE',
          `at most ${LIMITS.maxBatchEnvelopes} envelopes per message`,
        );
      items = envelopes;
    } else if (isPlainObject(value) && value.device === device) {
      // The usual message, one envelope of the topic's device: no position bookkeeping.
      return {
        device,
        reply: undefined,
        items: undefined,
        toIngest: [value],
        positions: undefined,
        results: undefined,
      };
    } else {
      items = [value];
    }
    const results: MqttVerdict[] = new Array(items.length);
    const toIngest: unknown[] = [];
    const positions: number[] = [];
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      // Checked before anything else (§8A.3): the topic is where the verdict
      // goes, so an envelope of another device must not be answered there.
      if (isPlainObject(item) && item.device === device) {
        toIngest.push(item);
        positions.push(i);
      } else {
        results[i] = rejectedVerdict(item, i, 'MALFORMED');
        this.#metrics?.envelopesRejected.inc({ reason: 'MALFORMED' });
        this.#log.warn({
          msg: 'envelope rejected',
          device_id: device,
          reason: 'MALFORMED',
          detail: 'envelope device is not the topic device',
        });
      }
    }
    return { device, reply: undefined, items, toIngest, positions, results };
  }

  /** The reply of a prepared message from its envelopes' verdicts, which start at `verdicts[at]`. */
  #finish(m: PreparedMessage, verdicts: readonly EnvelopeVerdict[], at: number): MqttReply {
    const device = m.device;
    if (m.items === undefined) {
      // One envelope: an accepted verdict's JSON written directly (what JSON.stringify gives).
      const v = verdicts[at]!;
      if (v.status !== 'accepted')
        return downReply(device, { results: [rejectedVerdict(m.toIngest[0], 0, v.reason)] });
      return {
        topic: mqttDownTopic(device),
        payload: `{"results":[{"index":0,"status":"accepted","seq":${v.seq}}]}`,
        message: { results: [{ index: 0, status: 'accepted', seq: v.seq }] },
      };
    }
    const results = m.results!;
    const positions = m.positions!;
    for (let k = 0; k < positions.length; k++) {
      const v = verdicts[at + k]!;
      const i = positions[k]!;
      results[i] =
        v.status === 'accepted'
          ? { index: i, status: 'accepted', seq: v.seq }
          : rejectedVerdict(m.items[i], i, v.reason);
    }
    return downReply(device, { results });
  }

  #refuse(device: string, payload: Uint8Array, code: MqttPayloadErrorCode, message: string): PreparedMessage {
    this.#log.warn({ msg: 'mqtt message refused', device_id: device, code, bytes: payload.byteLength });
    return {
      device,
      reply: downReply(device, { error: { code, message } }),
      items: undefined,
      toIngest: NO_ITEMS,
      positions: undefined,
      results: undefined,
    };
  }
}

/** A message after {@link UpMessageHandler}'s checks and before ingest. */
interface PreparedMessage {
  device: string;
  /** A refusal: the whole reply, nothing to ingest. */
  reply: MqttReply | undefined;
  /** The message's envelopes as sent; undefined for the usual single envelope of the topic's device. */
  items: unknown[] | undefined;
  /** The envelopes to ingest, in order. */
  toIngest: unknown[];
  /** Each ingested envelope's place in `items`. */
  positions: number[] | undefined;
  /** One verdict per item: the early rejections now, the rest after ingest. */
  results: MqttVerdict[] | undefined;
}

const NO_ITEMS: unknown[] = [];
const NO_VERDICTS: EnvelopeVerdict[] = [];

/**
 * How many messages an ingest worker on an external broker holds unacknowledged
 * by default: its MQTT 5 Receive Maximum. It bounds the messages between the
 * broker and the commit — being parsed, verified, committed — so a worker with
 * too few leaves its cores idle while the rest make the round trip. Measured
 * with the ingest bench's Mosquitto run (one worker, 60,000 messages, 2,000 in
 * flight from the devices), three alternating pairs: 2,000 stored 13,047,
 * 12,526 and 12,562 envelopes/s against 12,102, 11,568 and 12,384 with 1,000,
 * and the machine sat idle 4.7–5.3 % of the run against 12.4–14.8 %. Each held
 * message's payload and parsed envelope stay in memory until it is answered.
 */
export const DEFAULT_MQTT_MAX_IN_FLIGHT = 2000;

/** Options of {@link startMqttIngest}. */
export interface MqttIngestOptions extends UpMessageHandlerOptions {
  /** Broker URL, e.g. `mqtt://127.0.0.1:1883`; credentials may be in it (`mqtt://user:pass@host`). */
  url: string;
  /**
   * This worker's client id: fixed per worker and the same after a restart,
   * because the broker keeps the session — and the messages this worker had
   * received but not acknowledged — under it.
   */
  clientId: string;
  /** Shared-subscription group; every ingest worker of one network uses the same. Default `groundwork`. */
  group?: string;
  /**
   * Most messages received and not yet acknowledged (sent to the broker as
   * MQTT 5 Receive Maximum, 1..65535). Default {@link DEFAULT_MQTT_MAX_IN_FLIGHT}.
   */
  maxInFlight?: number;
  /**
   * How long the broker keeps this worker's session, and the messages queued
   * for it, after the connection drops, in seconds; 0 = clean session (a
   * dead worker's messages are dropped at once). Default 60.
   */
  sessionExpirySeconds?: number;
  /** Give up connecting at start after this long, in ms. Default 10,000. */
  connectTimeoutMs?: number;
  /** Wait between reconnection attempts, in ms. Default 1000. */
  reconnectMs?: number;
}

/** Counters of an {@link MqttIngest}, for logs, tests and benchmarks. */
export interface MqttIngestStats {
  /** Messages received on the up subscription. */
  received: number;
  /** Of those, redeliveries (DUP flag set by the broker). */
  redelivered: number;
  /** PUBACKs sent, each after its message's commit. */
  acked: number;
  /** Messages received and not yet answered. */
  inFlight: number;
  /** The most messages ever in flight at once. */
  maxInFlightSeen: number;
  /** `ingestBatch` calls. */
  batches: number;
  /** Messages whose ingest failed: not acknowledged, the connection was reset so the broker redelivers. */
  failed: number;
}

// mqtt.js declares these private; see the PUBACK comment in MqttIngest.
interface MqttClientInternals {
  _sendPacket(packet: { cmd: 'puback'; messageId: number }, cb?: (err?: Error) => void): void;
}

/** Passed to mqtt.js's handleMessage callback: "done with this packet, send no PUBACK". */
const DEFER_ACK = new Error('groundwork: PUBACK deferred until commit');

/**
 * Ingest from an external MQTT broker (`MQTT_URL`): joins the shared
 * subscription `$share/<group>/groundwork/v1/+/up` with QoS 1 over MQTT 5,
 * ingests with group commit, publishes each verdict message to the device's
 * `/down`, and sends the PUBACK for a message only after ingest has
 * committed it. Several workers (processes) with distinct client ids split
 * the stream. Guarantees: no PUBACK before commit; at most `maxInFlight`
 * messages held; a message whose ingest failed is never acknowledged.
 */
export class MqttIngest {
  readonly #o: MqttIngestOptions;
  readonly #log: Logger;
  readonly #handler: UpMessageHandler;
  readonly #filter: string;
  readonly #maxInFlight: number;
  #client!: MqttClient;
  #stopping = false;
  #room: (() => void)[] = [];
  #idle: (() => void)[] = [];
  /** QoS 1 messages of the current connection, in arrival order, until their PUBACK is sent. */
  #acks: { stream: MqttClient['stream'] | undefined; slots: { messageId: number; ready: boolean }[] } = {
    stream: undefined,
    slots: [],
  };
  readonly #stats: Omit<MqttIngestStats, 'batches'> = {
    received: 0,
    redelivered: 0,
    acked: 0,
    inFlight: 0,
    maxInFlightSeen: 0,
    failed: 0,
  };

  private constructor(o: MqttIngestOptions) {
    this.#o = o;
    this.#log = o.log.child({ component: 'mqtt-ingest', client_id: o.clientId });
    this.#handler = new UpMessageHandler({ ...o, log: this.#log });
    this.#filter = `$share/${o.group ?? DEFAULT_MQTT_GROUP}/${MQTT_UP_FILTER}`;
    this.#maxInFlight = Math.min(65_535, Math.max(1, o.maxInFlight ?? DEFAULT_MQTT_MAX_IN_FLIGHT));
  }

  /** Connects, subscribes and starts ingesting; rejects if the broker cannot be reached in time. */
  static async start(o: MqttIngestOptions): Promise<MqttIngest> {
    const m = new MqttIngest(o);
    await m.#connect();
    return m;
  }

  /** Current counters. */
  stats(): MqttIngestStats {
    return { ...this.#stats, batches: this.#handler.batches };
  }

  async #connect(): Promise<void> {
    const o = this.#o;
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(o.group ?? DEFAULT_MQTT_GROUP))
      throw new BaseError('CONFIG_INVALID', 'MQTT shared-subscription group must match [A-Za-z0-9_-]{1,64}');
    const expiry = o.sessionExpirySeconds ?? 60;
    const options: IClientOptions = {
      protocolVersion: 5,
      clientId: o.clientId,
      // A persistent session is what makes the broker redeliver, to the next
      // process with this client id, whatever this one had not acknowledged.
      clean: expiry === 0,
      properties: { sessionExpiryInterval: expiry, receiveMaximum: this.#maxInFlight },
      reconnectPeriod: o.reconnectMs ?? 1000,
      connectTimeout: o.connectTimeoutMs ?? 10_000,
      queueQoSZero: false,
      // mqtt.js logs through `debug` for every packet, and the disabled logger
      // still checks its namespaces on each call (~5 % of the main thread in a
      // profile of the external-broker bench); this node logs through pino, so
      // mqtt.js gets a no-op.
      log: noLog,
      // Not re-arming the keep-alive timer after every packet sent (3 % of that
      // profile): a PINGREQ every keep-alive period even while busy costs nothing.
      reschedulePings: false,
    };
    const client = mqtt.connect(o.url, options);
    this.#client = client;
    client.handleMessage = (packet, callback) => this.#onMessage(packet, callback);
    client.on('error', (err) => this.#log.warn({ msg: 'mqtt client error', error: err.message }));
    client.on('offline', () => {
      if (!this.#stopping) this.#log.warn({ msg: 'mqtt broker unreachable; reconnecting' });
    });
    const timeoutMs = o.connectTimeoutMs ?? 10_000;
    await new Promise<void>((resolve, reject) => {
      let started = false;
      const timer = setTimeout(() => {
        client.end(true);
        reject(
          new RetryableError(
            'MQTT_UNREACHABLE',
            `could not connect to the MQTT broker at ${redactUrl(o.url)} within ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      client.on('connect', (connack) => {
        this.#log.info({
          msg: 'mqtt connected',
          session_present: connack.sessionPresent,
          filter: this.#filter,
          receive_maximum: this.#maxInFlight,
        });
        // On every connection, not only the first: subscribing again on a
        // present session is harmless and covers a session the broker lost.
        client.subscribe(this.#filter, { qos: 1 }, (err, granted) => {
          const code = granted?.[0]?.qos;
          const ok = !err && code !== undefined && code <= 2;
          if (!ok)
            this.#log.error({
              msg: 'mqtt subscribe refused',
              filter: this.#filter,
              error: err?.message,
              code,
            });
          if (started) return;
          started = true;
          clearTimeout(timer);
          if (ok) return resolve();
          client.end(true);
          reject(
            new BaseError(
              'MQTT_SUBSCRIBE_REFUSED',
              `the broker refused the subscription ${this.#filter} (${err?.message ?? `reason ${code}`})`,
            ),
          );
        });
      });
    });
  }

  #onMessage(packet: IPublishPacket, callback: (err?: Error) => void): void {
    const client = this.#client;
    if (this.#stopping) {
      // Neither processed nor acknowledged: the broker keeps it for this
      // session (a restarted worker gets it) or drops it when the session
      // expires (the device re-sends).
      callback(DEFER_ACK);
      return;
    }
    const stream = client.stream;
    if (this.#acks.stream !== stream) this.#acks = { stream, slots: [] };
    const slot =
      packet.qos > 0 && packet.messageId !== undefined
        ? { messageId: packet.messageId, ready: false }
        : undefined;
    if (slot) this.#acks.slots.push(slot);
    const s = this.#stats;
    s.received++;
    if (packet.dup) s.redelivered++;
    s.inFlight++;
    if (s.inFlight > s.maxInFlightSeen) s.maxInFlightSeen = s.inFlight;
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    this.#handler
      .handle(packet.topic, payload)
      .then(
        (reply) => {
          if (slot) {
            slot.ready = true;
            this.#sendReadyAcks(stream);
          }
          if (reply) client.publish(reply.topic, reply.payload, { qos: 1 });
        },
        (err: unknown) => {
          s.failed++;
          this.#log.error({
            msg: 'mqtt ingest failed; message not acknowledged',
            topic: packet.topic,
            error: (err as Error).message,
          });
          // The broker redelivers unacknowledged messages only on a new
          // connection of this session: reset this one (once) to get a retry.
          if (client.stream === stream && !stream.destroyed) stream.destroy();
        },
      )
      .catch((err: unknown) =>
        // Nothing above should throw; if it does, log it rather than end the process.
        this.#log.error({
          msg: 'mqtt message handling failed',
          topic: packet.topic,
          error: (err as Error).message,
        }),
      )
      .finally(() => {
        s.inFlight--;
        if (s.inFlight < this.#maxInFlight) for (const r of this.#room.splice(0)) r();
        if (s.inFlight === 0) for (const r of this.#idle.splice(0)) r();
      });
    // mqtt.js handles one incoming packet at a time and sends the PUBACK when
    // handleMessage calls back without an error (build/lib/handlers/publish.js,
    // `case 1`: `client.handleMessage(packet, (err) => { if (err) return done
    // && done(err); client._sendPacket({ cmd: 'puback', … }, done) })`). Calling
    // back with an error moves the pump on to the next packet with no PUBACK
    // (`done` is `nextTickWork` in client.js `connect()`, which ignores its
    // argument), so messages batch up, and #sendReadyAcks sends it after the commit.
    // This works with MQTT 3.1.1 and 5; customHandleAcks (MQTT 5 only) would
    // hold the pump until the commit: one message per commit.
    // Past maxInFlight (QoS 0 floods, which Receive Maximum does not bound)
    // the pump waits, so the socket is not read: TCP back-pressure.
    if (s.inFlight < this.#maxInFlight) callback(DEFER_ACK);
    else this.#room.push(() => callback(DEFER_ACK));
  }

  /**
   * Sends the PUBACKs of the committed messages at the head of the arrival
   * order: a client MUST acknowledge QoS 1 messages in the order it received
   * them (MQTT 3.1.1 and 5 §4.6, [MQTT-4.6.0-2]), and a message refused
   * without ingest (bad JSON) is ready before the earlier ones are committed.
   * Only on the connection the messages came in on: after a reconnect the
   * broker redelivers them and message ids are reused, so a late PUBACK on
   * the new connection could acknowledge another message.
   */
  #sendReadyAcks(stream: MqttClient['stream']): void {
    const client = this.#client;
    const acks = this.#acks;
    if (acks.stream !== stream || client.stream !== stream || stream.destroyed || !client.connected) return;
    while (acks.slots.length > 0 && acks.slots[0]!.ready) {
      const { messageId } = acks.slots.shift()!;
      (client as unknown as MqttClientInternals)._sendPacket({ cmd: 'puback', messageId });
      this.#stats.acked++;
    }
  }

  /**
   * Stops: takes no new message, waits (up to `timeoutMs`) for the messages
   * in flight to be committed, acknowledged and answered, then disconnects.
   * The session stays with the broker for `sessionExpirySeconds` so a
   * restarted worker with the same client id picks up what was queued for
   * it; `leaveGroup: true` unsubscribes first and ends the session, for a
   * worker that is going away for good.
   */
  async stop(o: { leaveGroup?: boolean; timeoutMs?: number } = {}): Promise<void> {
    if (this.#stopping) return;
    const client = this.#client;
    const timeoutMs = o.timeoutMs ?? 10_000;
    const deadline = Date.now() + timeoutMs;
    const within = <T>(p: Promise<T>) =>
      Promise.race([p, new Promise<void>((r) => setTimeout(r, Math.max(0, deadline - Date.now())).unref())]);
    if (o.leaveGroup && client.connected) await within(client.unsubscribeAsync(this.#filter).catch(() => {}));
    this.#stopping = true;
    for (const r of this.#room.splice(0)) r();
    // Every message taken is committed, acknowledged and answered (or failed) before the DISCONNECT.
    if (this.#stats.inFlight > 0) await within(new Promise<void>((r) => this.#idle.push(r)));
    this.#handler.close();
    await within(
      new Promise<void>((resolve) =>
        client.end(
          false,
          o.leaveGroup ? { reasonCode: 0, properties: { sessionExpiryInterval: 0 } } : { reasonCode: 0 },
          () => resolve(),
        ),
      ),
    );
    if (!client.disconnected) client.end(true);
    this.#log.info({ msg: 'mqtt ingest stopped', ...this.stats() });
  }
}

/**
 * Starts ingesting from an external broker; see {@link MqttIngest}.
 * @example
 * const mqttIngest = await startMqttIngest({
 *   url: 'mqtt://127.0.0.1:1883', clientId: 'groundwork-ingest-1',
 *   ingestBatch: (e) => ingestor.ingestBatch(e), log,
 * });
 * // … on shutdown
 * await mqttIngest.stop();
 */
export function startMqttIngest(o: MqttIngestOptions): Promise<MqttIngest> {
  return MqttIngest.start(o);
}

function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//[redacted]@');
}
