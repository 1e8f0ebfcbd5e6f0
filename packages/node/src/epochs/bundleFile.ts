/**
 * Bundle files on disk (Node only): written in chunks while they are hashed,
 * read back by lines, never held as one string.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import type { Hex } from 'viem';
import { type EpochBundle, parseBundle } from './bundle.ts';

/**
 * Writes a bundle to `path` through a temporary file, fsynced and renamed
 * into place: the body (`bundleBodyChunks`) at once, the trailer
 * (`bundleTrailer`) when it is there — so the body is written while the
 * inputs digest is still being computed elsewhere. Returns the bundle hash
 * (SHA-256 of the bytes, hashed natively as they are written) and the size.
 */
export async function writeBundleFile(
  path: string,
  body: Iterable<string>,
  trailer: string | Promise<string>,
): Promise<{ hash: Hex; bytes: number }> {
  const w = new BundleWriter(path);
  try {
    for (const chunk of body) w.write(chunk);
    w.write(await trailer);
    return w.finish();
  } catch (err) {
    w.abort();
    throw err;
  }
}

class BundleWriter {
  readonly #tmp: string;
  readonly #hash = createHash('sha256');
  readonly #fd: number;
  #bytes = 0;
  #closed = false;

  constructor(readonly path: string) {
    this.#tmp = `${path}.tmp`;
    this.#fd = openSync(this.#tmp, 'w');
  }

  write(chunk: string): void {
    const buf = Buffer.from(chunk, 'utf8');
    this.#hash.update(buf);
    let off = 0;
    while (off < buf.length) off += writeSync(this.#fd, buf, off);
    this.#bytes += buf.length;
  }

  finish(): { hash: Hex; bytes: number } {
    fsyncSync(this.#fd);
    this.#close();
    renameSync(this.#tmp, this.path);
    return { hash: `0x${this.#hash.digest('hex')}`, bytes: this.#bytes };
  }

  abort(): void {
    this.#close();
    rmSync(this.#tmp, { force: true });
  }

  #close(): void {
    if (!this.#closed) closeSync(this.#fd);
    this.#closed = true;
  }
}

/** Splits UTF-8 bytes at newlines into strings, one per line (a final newline ends the last line). */
export function splitBundleBytes(buf: Uint8Array): string[] {
  const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const lines: string[] = [];
  let start = 0;
  for (;;) {
    const nl = b.indexOf(10, start);
    if (nl < 0) {
      if (start < b.length) lines.push(b.toString('utf8', start));
      return lines;
    }
    lines.push(b.toString('utf8', start, nl));
    start = nl + 1;
  }
}

/**
 * Reads a bundle file: its lines, its hash (SHA-256 of the bytes) and the
 * parsed bundle. Throws `BundleInvalidError` when it is not a bundle.
 */
export function readBundleFile(path: string): { lines: string[]; hash: Hex; bundle: EpochBundle } {
  const buf = readFileSync(path);
  const hash: Hex = `0x${createHash('sha256').update(buf).digest('hex')}`;
  const lines = splitBundleBytes(buf);
  return { lines, hash, bundle: parseBundle(lines) };
}
