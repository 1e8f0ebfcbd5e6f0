import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freshStore, insertContribution, STORE_KINDS, TEST_CONTRACTS } from '../../test/helpers.ts';
import type { GroundworkModule } from '../modules/types.ts';
import type { Store } from '../store/db.ts';
import {
  BUNDLE_FORMAT,
  type BundleInputs,
  bundleBodyChunks,
  bundleLines,
  bundleText,
  bundleTrailer,
  computeEpoch,
  hashBundleBytes,
  parseBundle,
} from './bundle.ts';
import { readBundleFile, writeBundleFile } from './bundleFile.ts';
import { digestPartBounds, digestPartsAhead, storeDigestParts } from './digest.ts';
import { digestFor, digestInputs, indexRewardLines } from './prepare.ts';

const A = `0x${'a'.repeat(40)}`;
const B = `0x${'b'.repeat(40)}`;
const dev = (n: number) => `0x${n.toString(16).padStart(64, '0')}`;

/** Per-device inputs, like uptime. */
const perDevice: GroundworkModule = {
  id: 'alpha',
  description: 'test',
  kinds: {},
  parameters: [],
  verify: () => ({ status: 'accepted', reason: 'OK', contribution: {} }),
  collectInputs: async () => ({}),
  score: ({ inputs, devices }) =>
    devices.map((d) => {
      const n = ((inputs as Record<string, unknown>)[d] as { n?: number } | undefined)?.n ?? 0;
      return { deviceId: d, score: BigInt(n), reason: n > 0 ? 'SEEN' : 'SILENT', detail: { n, z: 'é"\n' } };
    }),
};
/** Inputs that are not keyed by device, like coverage's witness graph. */
const graph: GroundworkModule = {
  ...perDevice,
  id: 'beta',
  score: ({ inputs, devices }) => {
    const edges = (inputs as { edges: [string, string][] }).edges;
    return devices.map((d) => ({
      deviceId: d,
      score: BigInt(edges.filter((e) => e.includes(d)).length),
      reason: 'EDGES',
    }));
  },
};

function inputs(): BundleInputs {
  return {
    format: BUNDLE_FORMAT,
    chainId: 31337,
    contracts: TEST_CONTRACTS,
    epoch: 2,
    window: { startMs: 1000, endMs: 2000 },
    paramsBlock: 7,
    params: { 'reward.weight.alpha': '3', 'reward.weight.beta': '1' },
    pool: '1000000',
    inputsDigest: `0x${'ee'.repeat(32)}`,
    envelopeCount: 9,
    // Listed out of id order: the bundle orders modules by id.
    modules: [
      {
        id: 'beta',
        weight: '1',
        devices: [
          { deviceId: dev(1), beneficiary: A },
          { deviceId: dev(5), beneficiary: B },
        ],
        inputs: { edges: [[dev(1), dev(5)]] },
      },
      {
        id: 'alpha',
        weight: '3',
        devices: [
          { deviceId: dev(2), beneficiary: A },
          { deviceId: dev(3), beneficiary: B },
          { deviceId: dev(4), beneficiary: B },
        ],
        inputs: { [dev(3)]: { n: 2 }, [dev(2)]: { n: 1 } },
      },
    ],
    previousCumulative: [{ account: A, cumulativeAmount: '5' }],
  };
}

describe('epoch bundle (JSON Lines)', () => {
  it('writes the documented lines, byte for byte', () => {
    const i = inputs();
    const { output, root } = computeEpoch(i, [perDevice, graph]);
    const text = bundleText(i, output, root);
    const lines = text.split('\n');
    expect(lines).toHaveLength(13); // header, alpha 1 + 3, beta 1 + 2, 1 previous, 2 cumulative, trailer, final ''
    expect(JSON.parse(lines[0]!)).toEqual({
      format: 'groundwork-epoch-bundle/2',
      chainId: 31337,
      contracts: inputs().contracts,
      epoch: 2,
      window: { startMs: 1000, endMs: 2000 },
      paramsBlock: 7,
      params: { 'reward.weight.alpha': '3', 'reward.weight.beta': '1' },
      pool: '1000000',
      modules: [
        { id: 'alpha', weight: '3', devices: 3, total: '750000' },
        { id: 'beta', weight: '1', devices: 2, total: '250000' },
      ],
      previousCumulative: 1,
      cumulative: 2,
      epochTotal: '1000000',
      dust: '0',
      root,
      total: '1000005',
    });
    // Canonical: sorted members, no whitespace.
    expect(lines[0]!.startsWith('{"chainId":31337,"contracts":{"distributor":')).toBe(true);
    expect(lines[1]).toBe(`{"${dev(2)}":{"n":1},"${dev(3)}":{"n":2}}`);
    // alpha: pool · 3/4 = 750000 split 1 : 2 (device 4 silent).
    expect(lines.slice(2, 5)).toEqual([
      `["${dev(2)}","${A}","1","250000","SEEN",{"n":1,"z":"é\\"\\n"}]`,
      `["${dev(3)}","${B}","2","500000","SEEN",{"n":2,"z":"é\\"\\n"}]`,
      `["${dev(4)}","${B}","0","0","SILENT",{"n":0,"z":"é\\"\\n"}]`,
    ]);
    expect(lines[5]).toBe(`{"edges":[["${dev(1)}","${dev(5)}"]]}`);
    expect(lines.slice(6, 8)).toEqual([
      `["${dev(1)}","${A}","1","125000","EDGES",null]`,
      `["${dev(5)}","${B}","1","125000","EDGES",null]`,
    ]);
    expect(lines.slice(8)).toEqual([
      `["${A}","5"]`,
      `["${A}","375005"]`,
      `["${B}","625000"]`,
      `{"envelopeCount":9,"inputsDigest":"0x${'ee'.repeat(32)}"}`,
      '',
    ]);
  });

  it('parses back to the same epoch: re-run and re-written, the same bytes and hash', () => {
    const i = inputs();
    const { output, root } = computeEpoch(i, [perDevice, graph]);
    const text = bundleText(i, output, root);
    const parsed = parseBundle(bundleLines(text));
    expect(parsed.result.lines.map((l) => [l.module, l.deviceId, l.amount])).toEqual(
      output.lines.map((l) => [l.module, l.deviceId, l.amount.toString()]),
    );
    expect(parsed.result.cumulative).toEqual([
      { account: A, cumulativeAmount: '375005' },
      { account: B, cumulativeAmount: '625000' },
    ]);
    const again = computeEpoch(parsed, [perDevice, graph]);
    expect(again.root).toBe(root);
    const text2 = bundleText(parsed, again.output, again.root);
    expect(text2).toBe(text);
    expect(hashBundleBytes(new TextEncoder().encode(text2))).toBe(
      `0x${createHash('sha256').update(text, 'utf8').digest('hex')}`,
    );
  });

  it('writes the file in chunks and hashes exactly its bytes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-bundle-'));
    try {
      const i = inputs();
      const { output, root } = computeEpoch(i, [perDevice, graph]);
      const path = join(dir, 'b.jsonl');
      const { hash, bytes } = await writeBundleFile(
        path,
        bundleBodyChunks(i, output, root),
        bundleTrailer(i),
      );
      expect(readFileSync(path, 'utf8')).toBe(bundleText(i, output, root));
      const raw = readFileSync(path);
      expect(bytes).toBe(raw.length);
      expect(hash).toBe(hashBundleBytes(raw));
      const read = readBundleFile(path);
      expect(read.hash).toBe(hash);
      expect(read.bundle.root).toBe(root);
      expect([read.bundle.inputsDigest, read.bundle.envelopeCount]).toEqual([`0x${'ee'.repeat(32)}`, 9]);
      // The body first, the trailer when the digest arrives: the same bytes.
      let release!: (s: string) => void;
      const trailer = new Promise<string>((r) => {
        release = r;
      });
      const later = writeBundleFile(join(dir, 'c.jsonl'), bundleBodyChunks(i, output, root), trailer);
      setTimeout(() => release(bundleTrailer(i)), 20);
      expect(await later).toEqual({ hash, bytes });
      expect(readFileSync(join(dir, 'c.jsonl'))).toEqual(raw);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses what is not a bundle, naming the line', () => {
    const i = inputs();
    const { output, root } = computeEpoch(i, [perDevice, graph]);
    const lines = bundleLines(bundleText(i, output, root));
    expect(() => parseBundle(['{"format":"groundwork-epoch-bundle/1"}'])).toThrow(/expected format/);
    expect(() => parseBundle(lines.slice(0, 6))).toThrow(
      'bundle ends at line 7, expected device 1 of 2 of beta',
    );
    expect(() => parseBundle(lines.slice(0, 11))).toThrow(
      'bundle ends at line 12, expected the trailer {envelopeCount, inputsDigest}',
    );
    expect(() => parseBundle([...lines.slice(0, -1), '["0x1","2"]'])).toThrow(
      'line 13: the bundle should have ended',
    );
    const broken = [...lines];
    broken[3] = `["${dev(3)}","${B}","2","-5","SEEN",null]`;
    expect(() => parseBundle(broken)).toThrow('line 4: expected [deviceId, beneficiary, score, amount');
    broken[3] = '{not json';
    expect(() => parseBundle(broken)).toThrow(/line 4 is not JSON/);
    try {
      parseBundle(broken);
    } catch (e) {
      expect((e as { code: string }).code).toBe('BUNDLE_INVALID');
    }
  });

  it('refuses a scorer that leaves a device out', () => {
    const lazy: GroundworkModule = {
      ...perDevice,
      score: ({ devices }) =>
        perDevice.score({
          inputs: {},
          devices: devices.slice(1),
          params: new Map(),
          window: { epoch: 1, startMs: 0, endMs: 1 },
        }),
    };
    expect(() => computeEpoch(inputs(), [lazy, graph])).toThrow('module alpha scored 2 of its 3 devices');
  });
});

describe.each(STORE_KINDS)('epoch close on %s', (kind) => {
  let store: Store;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ store, cleanup } = await freshStore(kind));
  });
  afterEach(async () => cleanup());

  it('indexes reward lines for the API, replacing an interrupted run, and marks the epoch', async () => {
    const i = inputs();
    const { output } = computeEpoch(i, [perDevice, graph]);
    await store.db
      .insertInto('epochs')
      .values({ epoch: 2, start_ms: 1000, end_ms: 2000, status: 'closed' })
      .execute();
    await store.db.updateTable('epochs').set({ lines_indexed: 0 }).execute();
    // Half a run left behind:
    await store.db
      .insertInto('reward_lines')
      .values({
        epoch: 2,
        module: 'alpha',
        device_id: dev(2),
        beneficiary: A,
        score: '9',
        amount: '9',
        reason: 'X',
        detail: null,
      })
      .execute();
    await indexRewardLines(store.db, 2, output.lines);
    const rows = await store.db
      .selectFrom('reward_lines')
      .selectAll()
      .orderBy('module')
      .orderBy('device_id')
      .execute();
    expect(
      rows.map((r) => [r.epoch, r.module, r.device_id, r.beneficiary, r.score, r.amount, r.reason, r.detail]),
    ).toEqual([
      [2, 'alpha', dev(2), A, '1', '250000', 'SEEN', '{"n":1,"z":"é\\"\\n"}'],
      [2, 'alpha', dev(3), B, '2', '500000', 'SEEN', '{"n":2,"z":"é\\"\\n"}'],
      [2, 'alpha', dev(4), B, '0', '0', 'SILENT', '{"n":0,"z":"é\\"\\n"}'],
      [2, 'beta', dev(1), A, '1', '125000', 'EDGES', null],
      [2, 'beta', dev(5), B, '1', '125000', 'EDGES', null],
    ]);
    const e = await store.db.selectFrom('epochs').select('lines_indexed').executeTakeFirstOrThrow();
    expect(e.lines_indexed).toBe(1);
  });

  it('indexes every line exactly past one statement’s worth (SQLite writes 64 a statement)', async () => {
    await store.db
      .insertInto('epochs')
      .values({ epoch: 3, start_ms: 1000, end_ms: 2000, status: 'closed' })
      .execute();
    // 150 lines: two statements of 64 and 22 single rows on SQLite.
    const lines = Array.from({ length: 150 }, (_, k) => ({
      deviceId: dev(1000 + k),
      module: k < 100 ? 'alpha' : 'beta',
      beneficiary: k % 2 === 0 ? A : B,
      score: BigInt(k),
      amount: 10n ** 20n + BigInt(k),
      reason: k % 5 === 0 ? 'SILENT' : 'SEEN',
      ...(k % 3 === 0 ? {} : { detail: { n: k, z: 'é"\n' } }),
    }));
    await indexRewardLines(store.db, 3, lines);
    const rows = await store.db
      .selectFrom('reward_lines')
      .selectAll()
      .where('epoch', '=', 3)
      .orderBy('device_id')
      .execute();
    expect(
      rows.map((r) => [r.epoch, r.module, r.device_id, r.beneficiary, r.score, r.amount, r.reason, r.detail]),
    ).toEqual(
      lines.map((l) => [
        3,
        l.module,
        l.deviceId,
        l.beneficiary,
        l.score.toString(),
        l.amount.toString(),
        l.reason,
        'detail' in l ? JSON.stringify(l.detail) : null,
      ]),
    );
  });

  // SQLite only: PostgreSQL's planner chooses by table size (the index exists on both).
  it.runIf(kind === 'sqlite')(
    'reads only the window’s contributions, through an index on their time',
    async () => {
      const { rows } = await sql<{ detail: string }>`explain query plan
      select c.device_id from contributions c join envelopes e on e.id = c.envelope_id
      where c.at >= ${1000} and c.at < ${2000}`.execute(store.db);
      expect(rows.map((r) => r.detail)).toContain('SEARCH c USING INDEX contributions_at (at>? AND at<?)');
    },
  );

  it('digests the window’s contributions in (device, seq) order, in-process and in a worker alike', async () => {
    const rows: { device: string; seq: number; at: number }[] = [];
    for (const device of [dev(0x300), dev(2), dev(0x1ff), dev(1)])
      for (const seq of [3, 1, 2]) {
        const k = rows.length + 1;
        // Envelope 5 arrived after the window.
        rows.push({ device, seq, at: 1000 + ((k * 37) % 1000) + (k === 5 ? 5000 : 0) });
      }
    let id = 1;
    for (const r of rows) {
      await insertContribution(store.db, { id, ...r, sig: `0x${id.toString(16).padStart(4, '0')}` });
      id++;
    }
    // Reference: the documented lines, sorted in JavaScript; row 5 lies outside the window.
    const inWindow = rows
      .map((r, k) => ({ ...r, sig: `0x${(k + 1).toString(16).padStart(4, '0')}` }))
      .filter((r) => r.at < 2000);
    inWindow.sort((a, b) => (a.device < b.device ? -1 : a.device > b.device ? 1 : a.seq - b.seq));
    // The window is shorter than a minute: one part, and the digest is SHA-256 of its digest.
    const part = createHash('sha256')
      .update(inWindow.map((r) => `${r.device}:${r.seq}:${r.sig}\n`).join(''))
      .digest();
    const expected = `0x${createHash('sha256').update(part).digest('hex')}`;
    expect(inWindow).toHaveLength(11);
    expect(await digestInputs(store.db, 1000, 2000)).toEqual({ digest: expected, count: 11 });
    const inWorker = digestFor(store.db, store.source, { threshold: 0 });
    try {
      expect(await inWorker(1000, 2000)).toEqual({ digest: expected, count: 11 });
      // The same worker answers again (it is kept between closes).
      expect(await inWorker(1000, 1500)).toEqual(await digestInputs(store.db, 1000, 1500));
    } finally {
      await inWorker.close();
    }
  });
  it('digests a window minute by minute, taking the parts finished ahead from digest_parts', async () => {
    // Three minutes and a bit: parts [0,60s) [60s,120s) [120s,180s) [180s,190s); the third is empty.
    const start = 0;
    const end = 190_000;
    const ats = [5_000, 59_999, 60_000, 100_000, 185_000, 190_000];
    let id = 1;
    for (const at of ats) {
      await insertContribution(store.db, { id, device: dev(id), seq: 1, at, sig: `0x0${id}` });
      id++;
    }
    const sha = (s: string) => createHash('sha256').update(s).digest();
    const line = (k: number) => `${dev(k)}:1:0x0${k}\n`;
    const parts = [sha(line(1) + line(2)), sha(line(3) + line(4)), sha(''), sha(line(5))];
    const expected = {
      digest: `0x${createHash('sha256').update(Buffer.concat(parts)).digest('hex')}`,
      count: 5,
    };
    expect(digestPartBounds(start, end)).toEqual([
      [0, 60_000],
      [60_000, 120_000],
      [120_000, 180_000],
      [180_000, 190_000],
    ]);
    expect(await digestInputs(store.db, start, end)).toEqual(expected);

    // Finished through 130 s: the first two parts. Stored, they are what the window's digest uses.
    const ahead = await digestPartsAhead(store.db, start, end, 130_000);
    expect(ahead.map((p) => [p.startMs, p.endMs, p.digest, p.count])).toEqual([
      [0, 60_000, `0x${parts[0]!.toString('hex')}`, 2],
      [60_000, 120_000, `0x${parts[1]!.toString('hex')}`, 2],
    ]);
    // The digest worker gives the same parts (it is started for them at threshold 0).
    const inWorker = digestFor(store.db, store.source, { threshold: 0 });
    try {
      expect(await inWorker.ahead(start, end, 130_000)).toEqual(ahead);
    } finally {
      await inWorker.close();
    }
    await storeDigestParts(store.db, ahead);
    expect(await digestPartsAhead(store.db, start, end, 130_000)).toEqual([]);
    expect(await digestInputs(store.db, start, end)).toEqual(expected);
    // A stored part is taken as it is: a row changed under it shows in the digest.
    await store.db.updateTable('digest_parts').set({ count: 7 }).where('start_ms', '=', 0).execute();
    expect((await digestInputs(store.db, start, end)).count).toBe(10);
  });
});
