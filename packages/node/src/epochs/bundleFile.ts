/**
 * Bundle files on disk (Node only): written in chunks while they are hashed,
 * read back by lines, never held as one string.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import type { Hex } from 'viem';
import { type EpochBundle, parseBundle } from './bundle.ts';

/**
 * Writes `chunks` (from `bundleChunks`) to `path` through a temporary file,
 * fsynced and renamed into place, and returns the bundle hash (SHA-256 of the
 * bytes, hashed natively as they are written) and the size.
 */
export function writeBundleFile(path: string, chunks: Iterable<string>): { hash: Hex; bytes: number } {
  const tmp = `${path}.tmp`;
  const h = createHash('sha256');
  const fd = openSync(tmp, 'w');
  let bytes = 0;
  try {
    for (const chunk of chunks) {
      const buf = Buffer.from(chunk, 'utf8');
      h.update(buf);
      let off = 0;
      while (off < buf.length) off += writeSync(fd, buf, off);
      bytes += buf.length;
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  return { hash: `0x${h.digest('hex')}`, bytes };
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
