import { type EventEmitter, once } from 'node:events';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { LIMITS } from '@groundwork/protocol';
import { Aedes, type Client } from 'aedes';
import type { Logger } from '../internal/logger.ts';
import {
  deviceOfDownTopic,
  deviceOfUpTopic,
  MQTT_TOPIC_ROOT,
  type MqttReply,
  UpMessageHandler,
  type UpMessageHandlerOptions,
} from './mqtt.ts';

/** Options of {@link startEmbeddedBroker}. */
export interface EmbeddedBrokerOptions extends UpMessageHandlerOptions {
  /** Interface to listen on. Default `127.0.0.1`: devices on other machines need an explicit choice. */
  host?: string;
  /** TCP port; 0 = any free port. Default 1883. */
  port?: number;
  /**
   * Largest MQTT packet a client may send, in bytes; a client announcing a
   * larger one is disconnected before the packet is buffered. Default
   * `LIMITS.maxRequestBytes` + 1 KiB (a full-size payload plus topic and header).
   */
  maxPacketBytes?: number;
}

/** A running embedded broker. */
export interface EmbeddedBroker {
  /** `mqtt://host:port` to give devices (and tests). */
  url: string;
  /** The port it listens on (the one asked for, or the free one it got for 0). */
  port: number;
  /** Envelopes waiting for, or inside, an `ingestBatch` call. */
  readonly pending: number;
  /** `ingestBatch` calls made so far. */
  readonly batches: number;
  /** Verdicts written straight to their subscribers' connections, not published through aedes. */
  readonly verdictsDirect: number;
  /**
   * Stops listening, disconnects every client and waits (up to 10 s) for the
   * ingest calls in flight to finish; their clients are gone, so no PUBACK
   * follows and the devices re-send.
   */
  close(): Promise<void>;
}

const EMPTY = Buffer.alloc(0);

/**
 * True when an MQTT topic filter matches at least one up topic
 * `groundwork/v1/<device>/up` — `#`, `groundwork/#`, `+/v1/+/up`, … — so the
 * embedded broker can refuse it.
 */
export function filterMatchesUpTopics(filter: string): boolean {
  return filterMatchesDeviceTopics(filter, 'up');
}

/** True when an MQTT topic filter matches at least one down topic `groundwork/v1/<device>/down`. */
export function filterMatchesDownTopics(filter: string): boolean {
  return filterMatchesDeviceTopics(filter, 'down');
}

function filterMatchesDeviceTopics(filter: string, last: 'up' | 'down'): boolean {
  const levels = filter.split('/');
  const [root, version] = MQTT_TOPIC_ROOT.split('/');
  const target = [root, version, undefined, last];
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i]!;
    if (level === '#') return true;
    if (i >= target.length) return false;
    if (level === '+') continue;
    const want = target[i];
    if (want === undefined ? level.length === 0 : level !== want) return false;
  }
  return levels.length === target.length;
}

/**
 * Starts the embedded MQTT broker (aedes, MQTT 3.1.1) of `groundwork up`
 * with the ingest path: a PUBLISH to `groundwork/v1/<device>/up` is ingested
 * (group commit across clients) before it is acknowledged, and the verdict
 * message goes to the device's `/down` subscribers. Up messages and verdicts
 * mostly bypass aedes (see {@link DeviceSocket} and {@link DownRoutes});
 * aedes runs the connections, subscriptions, sessions and every other topic.
 * Guarantees: a QoS 1 PUBACK (QoS 2 PUBREC) is sent only after ingest
 * committed the envelopes; when ingest fails the client is disconnected
 * without one; envelopes are never retained nor delivered to any subscriber;
 * a client is not read further while {@link UP_IN_FLIGHT_MESSAGES} of its
 * messages (or {@link UP_IN_FLIGHT_BYTES}) wait for ingest.
 */
export async function startEmbeddedBroker(o: EmbeddedBrokerOptions): Promise<EmbeddedBroker> {
  const log = o.log.child({ component: 'mqtt-broker' });
  const handler = new UpMessageHandler({ ...o, log });
  const maxPacketBytes = o.maxPacketBytes ?? LIMITS.maxRequestBytes + 1024;
  let closed = false;

  const routes = new DownRoutes();
  const sockets = new WeakMap<Client, DeviceSocket>();
  let verdictsDirect = 0;
  const publishReply = (reply: MqttReply) => {
    if (closed) return;
    const subscribers = routes.route(reply.topic);
    if (subscribers !== undefined) {
      for (const [device, qos] of subscribers) device.deliver(reply.topic, reply.payload, qos);
      verdictsDirect++;
      return;
    }
    broker.publish(
      {
        cmd: 'publish',
        topic: reply.topic,
        payload: Buffer.from(reply.payload),
        qos: 1,
        retain: false,
        dup: false,
      },
      (err) => {
        if (err) log.warn({ msg: 'verdict publish failed', topic: reply.topic, error: err.message });
      },
    );
  };
  const upPath: UpPath = { handler, publishReply, log };

  const broker = new Aedes({
    // Ordering, from aedes lib/handlers/publish.js: handlePublish runs
    // `runSeries(client, [authorizePublish, enqueuePublish], packet, done)`,
    // and enqueuePublish writes the PUBACK (`case 1: write(client, new
    // PubAck(packet), …)`) — or, QoS 2, stores the packet and writes PUBREC —
    // only once this callback has been called with no error. An error makes
    // `done(err)` emit a client error, which closes the connection: no ack,
    // and the device re-sends.
    authorizePublish(client, packet, callback) {
      const topic = packet.topic;
      if (topic.startsWith('$SYS')) return callback(new Error('$SYS topics are reserved'));
      if (client && deviceOfDownTopic(topic) !== undefined) {
        log.warn({
          msg: 'client publish to a verdict topic refused; disconnecting',
          client_id: client.id,
          topic,
        });
        return callback(new Error('only the node publishes to /down topics'));
      }
      if (deviceOfUpTopic(topic) === undefined) return callback(null);
      // An envelope is never kept by the broker: ingest has it.
      packet.retain = false;
      handler
        .handle(topic, typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload)
        .then(
          (reply) => {
            // After this callback aedes still runs the packet through its
            // publish path (to no subscriber, see authorizeSubscribe): drop the
            // payload now rather than carry it there.
            packet.payload = EMPTY;
            callback(null);
            if (reply) publishReply(reply);
          },
          (err: unknown) => {
            log.error({
              msg: 'mqtt ingest failed; disconnecting the client without an ack',
              client_id: client?.id,
              topic,
              error: (err as Error).message,
            });
            callback(err as Error);
          },
        )
        // Nothing above should throw; if it does, log it rather than end the process.
        .catch((err: unknown) =>
          log.error({ msg: 'mqtt publish hook failed', topic, error: (err as Error).message }),
        );
    },
    authorizeSubscribe(client, sub, callback) {
      if (filterMatchesUpTopics(sub.topic)) {
        log.info({ msg: 'subscription to up topics refused', client_id: client.id, filter: sub.topic });
        return callback(null, null);
      }
      callback(null, sub);
    },
    // Subscriptions that could match are refused above; this keeps it so
    // even for a subscription that got past that (defence in depth).
    authorizeForward(_client, packet) {
      return deviceOfUpTopic(packet.topic) === undefined ? packet : null;
    },
  });
  // aedes emits 'error' when its persistence fails (aedes.js DoEnqueues) but
  // does not declare it; unheard, it would end the process.
  (broker as EventEmitter).on('error', (err: Error) =>
    log.error({ msg: 'mqtt broker error', error: err.message }),
  );
  broker.on('subscribe', (subscriptions, client) => {
    for (const sub of subscriptions)
      if ((sub.qos as number) !== 128)
        routes.subscribed(sockets.get(client), client.clean, sub.topic, sub.qos);
  });
  broker.on('unsubscribe', (filters, client) => {
    const device = sockets.get(client);
    if (device) for (const filter of filters) routes.unsubscribed(device, filter);
  });
  broker.on('clientError', (client, err) =>
    log.debug({ msg: 'mqtt client error', client_id: client.id, error: err.message }),
  );
  await broker.listen();

  const server = createServer((socket) => {
    socket.setNoDelay(true);
    const device = new DeviceSocket(socket, maxPacketBytes, upPath, (bytes) =>
      log.warn({
        msg: 'mqtt packet over the size limit; connection closed',
        bytes,
        limit: maxPacketBytes,
        remote: socket.remoteAddress,
      }),
    );
    device.client = broker.handle(device.conn);
    sockets.set(device.client, device);
    socket.once('close', () => routes.disconnected(device));
  });
  server.on('error', (err) => log.error({ msg: 'mqtt listener error', error: err.message }));
  const host = o.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 1883, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `mqtt://${host.includes(':') ? `[${host}]` : host}:${port}`;
  log.info({ msg: 'mqtt broker listening', url });

  return {
    url,
    port,
    get pending() {
      return handler.pending;
    },
    get batches() {
      return handler.batches;
    },
    get verdictsDirect() {
      return verdictsDirect;
    },
    async close() {
      if (closed) return;
      closed = true;
      const serverClosed = once(server, 'close');
      server.close();
      handler.close();
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await Promise.race([handler.drained(), new Promise((r) => setTimeout(r, 10_000).unref())]);
      await serverClosed;
    },
  };
}

/**
 * Who receives each device's verdicts, kept from aedes' subscribe,
 * unsubscribe and disconnect events so that a verdict can be written
 * straight to its subscribers' connections (the direct down path) instead of
 * through aedes' publish: two topic-tree matches, an offline-queue lookup,
 * a packet object, five or six stream writes and the PUBACK's round through
 * aedes, per verdict. It answers only when aedes would do nothing more than
 * send the message to connected clients:
 *
 * - every subscriber of the topic is a **clean-session** connection that
 *   subscribed to exactly that topic;
 * - no clean-session client holds a **wildcard** filter matching /down topics
 *   (`groundwork/v1/+/down`, `#`, …: a monitor);
 * - no **persistent-session** client has ever subscribed, on this broker, to
 *   a filter matching the topic: aedes queues messages for such a session
 *   while it is away and re-sends unacknowledged ones when it returns, and
 *   only aedes' publish does that. Such topics stay with aedes until the
 *   broker restarts.
 *
 * Otherwise {@link route} returns undefined and the verdict goes through aedes.
 */
class DownRoutes {
  /** Exact /down topic → the clean-session connections subscribed to it, with their granted QoS. */
  readonly #exact = new Map<string, Map<DeviceSocket, number>>();
  /** Each clean-session connection's exact /down subscriptions (to forget them when it goes). */
  readonly #exactOf = new Map<DeviceSocket, Set<string>>();
  /** Clean-session connections holding wildcard filters that match /down topics, with those filters. */
  readonly #wildcards = new Map<DeviceSocket, Set<string>>();
  /** /down topics a persistent-session client subscribed to. */
  readonly #sticky = new Set<string>();
  /** A persistent-session client subscribed to a wildcard filter matching /down topics. */
  #stickyWildcard = false;

  /** The connections to write `topic`'s verdict to, or undefined: publish through aedes. */
  route(topic: string): Map<DeviceSocket, number> | undefined {
    if (this.#stickyWildcard || this.#wildcards.size > 0 || this.#sticky.has(topic)) return undefined;
    return this.#exact.get(topic) ?? NO_SUBSCRIBERS;
  }

  subscribed(device: DeviceSocket | undefined, clean: boolean, filter: string, qos: number): void {
    if (!filterMatchesDownTopics(filter)) return;
    const exact = !filter.includes('+') && !filter.includes('#');
    if (!clean || device === undefined) {
      if (exact) this.#sticky.add(filter);
      else this.#stickyWildcard = true;
      return;
    }
    if (exact) {
      let subs = this.#exact.get(filter);
      if (!subs) this.#exact.set(filter, (subs = new Map()));
      subs.set(device, qos);
      let topics = this.#exactOf.get(device);
      if (!topics) this.#exactOf.set(device, (topics = new Set()));
      topics.add(filter);
    } else {
      let filters = this.#wildcards.get(device);
      if (!filters) this.#wildcards.set(device, (filters = new Set()));
      filters.add(filter);
    }
  }

  unsubscribed(device: DeviceSocket, filter: string): void {
    const subs = this.#exact.get(filter);
    if (subs?.delete(device) && subs.size === 0) this.#exact.delete(filter);
    this.#exactOf.get(device)?.delete(filter);
    const filters = this.#wildcards.get(device);
    if (filters?.delete(filter) && filters.size === 0) this.#wildcards.delete(device);
  }

  /** A client is gone; a clean session's subscriptions go with it. */
  disconnected(device: DeviceSocket): void {
    for (const topic of this.#exactOf.get(device) ?? []) {
      const subs = this.#exact.get(topic);
      if (subs?.delete(device) && subs.size === 0) this.#exact.delete(topic);
    }
    this.#exactOf.delete(device);
    this.#wildcards.delete(device);
  }
}

const NO_SUBSCRIBERS: Map<DeviceSocket, number> = new Map();

/** What the direct up path needs from the rest of the broker. */
interface UpPath {
  handler: UpMessageHandler;
  /** Publishes a verdict through the broker (to the device's /down subscribers). */
  publishReply(reply: MqttReply): void;
  log: Logger;
}

/**
 * Per connection, the most up messages the direct path holds unanswered, and
 * their bytes; past either the socket is not read until answers go out, so a
 * flooding device is slowed by TCP. A device keeps one message in flight
 * (docs/PROTOCOL.md §8A.6); a gateway relaying many devices fills this.
 */
export const UP_IN_FLIGHT_MESSAGES = 1000;
export const UP_IN_FLIGHT_BYTES = 1024 * 1024;

const TOPIC_PREFIX = Buffer.from(`${MQTT_TOPIC_ROOT}/`, 'latin1');

/**
 * One client connection of the embedded broker: the socket as the stream
 * aedes reads and writes, with two things in between.
 *
 * - **Size limit.** It follows MQTT framing (fixed header: one byte, then the
 *   remaining length in 1–4 bytes of 7 bits) and destroys the connection as
 *   soon as a packet announces more than `maxBytes`: aedes would otherwise
 *   buffer a packet of up to 256 MB before looking at it.
 * - **Direct up path.** Once aedes has accepted the client (CONNACK sent), a
 *   PUBLISH at QoS 0 or 1 to an up topic does not go to aedes at all: it is
 *   handed to ingest here, and its PUBACK is written here after the commit.
 *   Its verdict is written straight to the subscribers' connections when
 *   {@link DownRoutes} allows it ({@link deliver}, whose PUBACKs are taken
 *   here too), else published through aedes. Everything else — CONNECT,
 *   SUBSCRIBE, PINGREQ, PUBACKs of verdicts aedes sent, QoS 2, other topics,
 *   a PUBLISH pipelined before CONNACK — goes to aedes, whose
 *   `authorizePublish` hook ingests an up message the same way. With every
 *   message and its verdict routed through aedes, the MQTT main thread did
 *   twice HTTP's work per envelope in the ingest benchmark (a fifth of it in
 *   aedes and its libraries, by a profile).
 *
 * Reading follows the consumer: the socket is paused while aedes' stream is
 * full or the direct path holds {@link UP_IN_FLIGHT_MESSAGES} messages or
 * {@link UP_IN_FLIGHT_BYTES} bytes.
 */
class DeviceSocket {
  /** The stream aedes reads and writes. */
  readonly conn: Duplex;
  /** The aedes client of this connection, once `broker.handle` made it. */
  client: Client | undefined;
  readonly #socket: Socket;
  readonly #maxBytes: number;
  readonly #up: UpPath;
  readonly #onTooLarge: (bytes: number) => void;
  /** An incomplete packet (or fixed header) carried over from earlier chunks. */
  #pieces: Buffer[] = [];
  #piecesLength = 0;
  /** Total length of the incomplete packet, or -1 while its fixed header is incomplete. */
  #need = -1;
  #aedesFull = false;
  /** Packet ids of verdicts written here and not yet acknowledged. */
  readonly #downIds = new Set<number>();
  #upMessages = 0;
  #upBytes = 0;
  /** The up messages taken from the current read, handed to ingest together at its end. */
  #taken: TakenMessage[] = [];
  /** The previous read's answers: a read's PUBACKs and verdicts go out after those, in order. */
  #answered: Promise<void> = Promise.resolve();
  /** What was written in this turn of the event loop, sent together from setImmediate. */
  #out: Buffer[] = [];
  #outBytes = 0;
  readonly #flush = () => {
    const out = this.#out;
    if (out.length === 0) return;
    const bytes = out.length === 1 ? out[0]! : Buffer.concat(out, this.#outBytes);
    this.#out = [];
    this.#outBytes = 0;
    if (!this.#socket.destroyed) this.#socket.write(bytes);
  };

  constructor(socket: Socket, maxBytes: number, up: UpPath, onTooLarge: (bytes: number) => void) {
    this.#socket = socket;
    this.#maxBytes = maxBytes;
    this.#up = up;
    this.#onTooLarge = onTooLarge;
    this.conn = new Duplex({
      readableHighWaterMark: 64 * 1024,
      read: () => {
        this.#aedesFull = false;
        this.#resume();
      },
      write: (chunk: Buffer, _encoding, callback) => this.#send([chunk], callback),
      writev: (chunks, callback) =>
        this.#send(
          chunks.map((c) => c.chunk as Buffer),
          callback,
        ),
      final: (callback) => {
        this.#flush();
        socket.end();
        callback();
      },
      destroy(err, callback) {
        socket.destroy();
        callback(err);
      },
    });
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('end', () => this.conn.push(null));
    socket.on('error', (err) => this.conn.destroy(err));
    socket.on('close', () => this.conn.destroy());
  }

  /**
   * Everything written in one turn of the event loop — a packet's pieces, the
   * PUBACKs and verdicts of every message one commit answered — is copied
   * into one buffer and leaves in one write, from setImmediate (not
   * process.nextTick: each message's answer is written from its own promise
   * continuation, and a nextTick would run between those). Handing the
   * socket the pieces themselves (aedes writes a packet in five or six) made
   * libuv's writev walk thousands of small buffers: 9 % of the main thread in
   * a profile of the MQTT bench, where the copy does not show.
   */
  #send(chunks: Buffer[], callback?: (err?: Error | null) => void): void {
    if (this.#out.length === 0) setImmediate(this.#flush);
    for (const chunk of chunks) {
      this.#out.push(chunk);
      this.#outBytes += chunk.length;
    }
    if (!callback) return;
    // Back-pressure for aedes: past the socket's buffer, its writes wait for 'drain'.
    if (this.#socket.writableNeedDrain) this.#socket.once('drain', () => callback());
    else callback();
  }

  #resume(): void {
    if (
      !this.#aedesFull &&
      this.#upMessages < UP_IN_FLIGHT_MESSAGES &&
      this.#upBytes < UP_IN_FLIGHT_BYTES &&
      this.#socket.isPaused()
    )
      this.#socket.resume();
  }

  /**
   * The total length of the packet whose fixed header starts at `at`; -1 when
   * the header is not complete in `buf`; -2 when the packet is over the limit
   * or its length is not valid MQTT (a fifth length byte).
   */
  #frame(buf: Buffer, at: number): number {
    let length = 0;
    let multiplier = 1;
    for (let k = 1; k <= 4; k++) {
      if (at + k >= buf.length) return -1;
      const byte = buf[at + k]!;
      length += (byte & 0x7f) * multiplier;
      if ((byte & 0x80) === 0) {
        if (length > this.#maxBytes) {
          this.#onTooLarge(length);
          return -2;
        }
        return 1 + k + length;
      }
      multiplier *= 128;
    }
    this.#onTooLarge(length);
    return -2;
  }

  #onData(chunk: Buffer): void {
    let buf = chunk;
    if (this.#piecesLength > 0) {
      this.#pieces.push(chunk);
      this.#piecesLength += chunk.length;
      if (this.#need < 0) {
        const head = Buffer.concat(this.#pieces, this.#piecesLength);
        this.#pieces = [head];
        this.#need = this.#frame(head, 0);
        if (this.#need === -2) return void this.#destroyAfterTaken();
      }
      if (this.#need < 0 || this.#piecesLength < this.#need) return;
      buf = Buffer.concat(this.#pieces, this.#piecesLength);
      this.#pieces = [];
      this.#piecesLength = 0;
      this.#need = -1;
    }
    let i = 0;
    let passFrom = 0;
    while (i < buf.length) {
      const total = this.#frame(buf, i);
      if (total === -2) return void this.#destroyAfterTaken();
      if (total === -1 || i + total > buf.length) {
        this.#need = total;
        break;
      }
      if (this.#direct(buf, i, total)) {
        if (i > passFrom) this.#pass(buf.subarray(passFrom, i));
        passFrom = i + total;
      }
      i += total;
    }
    if (i > passFrom) this.#pass(buf.subarray(passFrom, i));
    if (i < buf.length) {
      const tail = buf.subarray(i);
      this.#pieces = [tail];
      this.#piecesLength = tail.length;
    }
    this.#handOver();
    this.#pauseIfFull();
  }

  /** A framing error: what this read took so far is still ingested and answered, then the connection closes. */
  #destroyAfterTaken(): void {
    this.#handOver();
    this.conn.destroy();
  }

  #pass(bytes: Buffer): void {
    if (!this.conn.push(bytes)) this.#aedesFull = true;
  }

  #pauseIfFull(): void {
    if (this.#aedesFull || this.#upMessages >= UP_IN_FLIGHT_MESSAGES || this.#upBytes >= UP_IN_FLIGHT_BYTES)
      this.#socket.pause();
  }

  /**
   * Takes the packet at `buf[at, at + total)` on the direct path if it is a
   * PUBLISH at QoS 0 or 1 to an up topic from an accepted client; returns
   * false (the packet goes to aedes) otherwise.
   */
  #direct(buf: Buffer, at: number, total: number): boolean {
    const first = buf[at]!;
    if (first === 0x40 && total === 4) {
      // The PUBACK of a verdict written by deliver(): aedes never sent it.
      if (!this.#downIds.delete(buf.readUInt16BE(at + 2))) return false;
      refreshKeepalive(this.client);
      return true;
    }
    const qos = (first >> 1) & 3;
    if (first >> 4 !== 3 || qos > 1) return false;
    const client = this.client;
    if (client === undefined || !client.connected || !(client as { connackSent?: boolean }).connackSent)
      return false;
    // Fixed header: one byte and 1–4 length bytes (the last without bit 7).
    let p = at + 1;
    while ((buf[p]! & 0x80) !== 0) p++;
    p++;
    const end = at + total;
    if (p + 2 > end) return false;
    const topicLength = buf.readUInt16BE(p);
    p += 2;
    const topicEnd = p + topicLength;
    if (topicEnd + (qos === 1 ? 2 : 0) > end) return false;
    if (buf.compare(TOPIC_PREFIX, 0, TOPIC_PREFIX.length, p, p + TOPIC_PREFIX.length) !== 0) return false;
    const topic = buf.toString('utf8', p, topicEnd);
    const device = deviceOfUpTopic(topic);
    if (device === undefined) return false;
    const id = qos === 1 ? buf.readUInt16BE(topicEnd) : 0;
    const payload = buf.subarray(topicEnd + (qos === 1 ? 2 : 0), end);
    this.#take(client, device, qos, id, payload, total);
    return true;
  }

  #take(client: Client, device: string, qos: number, id: number, payload: Buffer, bytes: number): void {
    refreshKeepalive(client);
    this.#upMessages++;
    this.#upBytes += bytes;
    this.#taken.push({ client, device, qos, id, payload, bytes });
  }

  /**
   * Hands the up messages of this read to ingest as one batch (one
   * group-commit job and one promise, not one per message) and writes their
   * PUBACKs and verdicts, in message order, once it is committed and the
   * previous read's are written: QoS 1 PUBACKs leave in the order the
   * messages came ([MQTT-4.6.0-2]), even when a later read holds only
   * refusals, which need no commit.
   */
  #handOver(): void {
    const taken = this.#taken;
    if (taken.length === 0) return;
    this.#taken = [];
    const up = this.#up;
    const replies = up.handler.handleMany(taken);
    // Decoded by now: the read's buffer is not held while the batch waits for its commit.
    for (const m of taken) m.payload = EMPTY;
    const previous = this.#answered;
    this.#answered = replies
      .then(
        async (r) => {
          await previous;
          for (let k = 0; k < taken.length; k++) {
            const m = taken[k]!;
            this.#settled(m.bytes);
            if (m.qos === 1 && !this.#socket.destroyed) this.#send([puback(m.id)]);
            up.publishReply(r[k]!);
          }
        },
        async (err: unknown) => {
          await previous;
          for (const m of taken) this.#settled(m.bytes);
          up.log.error({
            msg: 'mqtt ingest failed; disconnecting the client without an ack',
            client_id: taken[0]!.client.id,
            messages: taken.length,
            error: (err as Error).message,
          });
          this.conn.destroy();
        },
      )
      // Nothing above should throw; if it does, the next read's answers still go out.
      .catch((err: unknown) => up.log.error({ msg: 'mqtt answer failed', error: (err as Error).message }));
  }

  /**
   * Writes a verdict to this connection (the direct down path, see
   * {@link DownRoutes}) at `qos` 0 or 1. A QoS 1 packet id comes from aedes'
   * own counter for this client, so it cannot clash with a message aedes
   * sends it; the device's PUBACK is taken here.
   */
  deliver(topic: string, payload: string, qos: number): void {
    const client = this.client;
    if (client === undefined || this.#socket.destroyed) return;
    let id = 0;
    if (qos > 0) {
      id = takePacketId(client);
      this.#downIds.add(id);
    }
    this.#send([encodePublish(topic, payload, qos > 0 ? 1 : 0, id)]);
  }

  #settled(bytes: number): void {
    this.#upMessages--;
    this.#upBytes -= bytes;
    this.#resume();
  }
}

/** An up message taken on the direct path, waiting for the end of its read. */
interface TakenMessage {
  client: Client;
  device: string;
  qos: number;
  id: number;
  payload: Buffer;
  bytes: number;
}

/**
 * aedes refreshes a client's keep-alive timer for every packet it handles
 * (lib/handlers/index.js); packets the direct paths take do the same here.
 */
function refreshKeepalive(client: Client | undefined): void {
  (client as { _keepaliveTimer?: NodeJS.Timeout | null } | undefined)?._keepaliveTimer?.refresh();
}

/** The next packet id of aedes' counter for `client` (lib/qos-packet.js): 1..65535, then 1 again. */
function takePacketId(client: Client): number {
  const c = client as unknown as { _nextId: number };
  const id = c._nextId;
  c._nextId = id >= 65535 ? 1 : id + 1;
  return id;
}

/** A PUBLISH packet (MQTT 3.1.1 §3.3) to `topic`, QoS 0 or 1 (then with packet id `id`). */
function encodePublish(topic: string, payload: string, qos: 0 | 1, id: number): Buffer {
  const topicBytes = Buffer.byteLength(topic);
  const payloadBytes = Buffer.byteLength(payload);
  const remaining = 2 + topicBytes + (qos === 1 ? 2 : 0) + payloadBytes;
  let lengthBytes = 1;
  for (let n = remaining; n >= 128; n = Math.floor(n / 128)) lengthBytes++;
  const b = Buffer.allocUnsafe(1 + lengthBytes + remaining);
  b[0] = 0x30 | (qos << 1);
  let p = 1;
  let n = remaining;
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    b[p++] = byte;
  } while (n > 0);
  b.writeUInt16BE(topicBytes, p);
  p += 2;
  p += b.write(topic, p, 'utf8');
  if (qos === 1) p = b.writeUInt16BE(id, p);
  b.write(payload, p, 'utf8');
  return b;
}

/** A PUBACK for packet id `id` (MQTT 3.1.1 §3.4). */
function puback(id: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b[0] = 0x40;
  b[1] = 2;
  b[2] = id >> 8;
  b[3] = id & 0xff;
  return b;
}
