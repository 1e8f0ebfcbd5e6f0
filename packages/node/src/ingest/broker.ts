import { type EventEmitter, once } from 'node:events';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { LIMITS } from '@groundwork/protocol';
import { Aedes } from 'aedes';
import {
  deviceOfDownTopic,
  deviceOfUpTopic,
  MQTT_TOPIC_ROOT,
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
  const levels = filter.split('/');
  const [root, version] = MQTT_TOPIC_ROOT.split('/');
  const target = [root, version, undefined, 'up'];
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
 * with the ingest hook: a PUBLISH to `groundwork/v1/<device>/up` is ingested
 * (group commit across clients) before the broker acknowledges it, and the
 * verdict message is published to the device's `/down`. Guarantees: a QoS 1
 * PUBACK (QoS 2 PUBREC) is sent only after ingest committed the envelopes;
 * when ingest fails the client is disconnected without one; envelopes are
 * never retained nor delivered to any subscriber; a client is not read past
 * its current socket chunk while that chunk's messages are being ingested.
 */
export async function startEmbeddedBroker(o: EmbeddedBrokerOptions): Promise<EmbeddedBroker> {
  const log = o.log.child({ component: 'mqtt-broker' });
  const handler = new UpMessageHandler({ ...o, log });
  const maxPacketBytes = o.maxPacketBytes ?? LIMITS.maxRequestBytes + 1024;
  let closed = false;

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
            if (reply && !closed)
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
                  if (err)
                    log.warn({ msg: 'verdict publish failed', topic: reply.topic, error: err.message });
                },
              );
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
  broker.on('clientError', (client, err) =>
    log.debug({ msg: 'mqtt client error', client_id: client.id, error: err.message }),
  );
  await broker.listen();

  const server = createServer((socket) => {
    socket.setNoDelay(true);
    const conn = limitPacketSize(socket, maxPacketBytes, (bytes) =>
      log.warn({
        msg: 'mqtt packet over the size limit; connection closed',
        bytes,
        limit: maxPacketBytes,
        remote: socket.remoteAddress,
      }),
    );
    broker.handle(conn);
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
 * The socket as a stream that follows MQTT framing (fixed header: one byte,
 * then the remaining length in 1–4 bytes of 7 bits) and destroys the
 * connection as soon as a packet announces more than `maxBytes`: aedes would
 * otherwise buffer a packet of up to 256 MB before looking at it. Reading
 * follows the consumer (the socket is paused while the stream is full), so
 * aedes' own flow control still reaches TCP.
 */
function limitPacketSize(socket: Socket, maxBytes: number, onTooLarge: (bytes: number) => void): Duplex {
  // 0: at a packet's first byte; 1: in its remaining length; 2: in its body.
  let state = 0;
  let length = 0;
  let multiplier = 1;
  let lengthBytes = 0;
  let body = 0;
  // Everything written in one turn of the event loop — a packet's pieces, the
  // PUBACKs and verdicts of every message one commit answered — leaves in one
  // system call. Uncorked from setImmediate, not process.nextTick: each
  // message's answer is written from its own promise continuation, and a
  // nextTick would run between those, one write system call per message.
  let corked = false;
  const uncork = () => {
    corked = false;
    socket.uncork();
  };
  const send = (chunks: Buffer[], callback: (err?: Error | null) => void) => {
    if (!corked) {
      corked = true;
      socket.cork();
      setImmediate(uncork);
    }
    let ok = true;
    for (const chunk of chunks) ok = socket.write(chunk);
    if (ok) callback();
    else socket.once('drain', () => callback());
  };
  const conn = new Duplex({
    readableHighWaterMark: 64 * 1024,
    read() {
      socket.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      send([chunk], callback);
    },
    writev(chunks, callback) {
      send(
        chunks.map((c) => c.chunk as Buffer),
        callback,
      );
    },
    final(callback) {
      socket.end();
      callback();
    },
    destroy(err, callback) {
      socket.destroy();
      callback(err);
    },
  });
  socket.on('data', (chunk: Buffer) => {
    let i = 0;
    while (i < chunk.length) {
      if (state === 2) {
        const n = Math.min(body, chunk.length - i);
        body -= n;
        i += n;
        if (body === 0) state = 0;
        continue;
      }
      if (state === 0) {
        state = 1;
        length = 0;
        multiplier = 1;
        lengthBytes = 0;
        i++;
        continue;
      }
      const byte = chunk[i++]!;
      length += (byte & 0x7f) * multiplier;
      multiplier *= 128;
      lengthBytes++;
      if ((byte & 0x80) === 0) {
        if (length > maxBytes) {
          onTooLarge(length);
          conn.destroy();
          return;
        }
        body = length;
        state = body > 0 ? 2 : 0;
      } else if (lengthBytes === 4) {
        // A fifth length byte is a protocol error; aedes would refuse it too.
        onTooLarge(length);
        conn.destroy();
        return;
      }
    }
    if (!conn.push(chunk)) socket.pause();
  });
  socket.on('end', () => conn.push(null));
  socket.on('error', (err) => conn.destroy(err));
  socket.on('close', () => conn.destroy());
  return conn;
}
