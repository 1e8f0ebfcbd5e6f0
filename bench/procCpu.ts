/**
 * CPU time readings from Linux's /proc, for the ingest benchmark: per thread
 * of this process, and of the whole machine. Elsewhere they return undefined
 * or empty maps, and the figures built on them are left out of the report.
 */

import { readdirSync, readFileSync } from 'node:fs';

export const CLOCK_TICK_MICROS = 10_000;

/**
 * CPU time of this process's main thread so far, in µs, from
 * /proc/self/task/<pid>/stat (utime + stime, in clock ticks of 10 ms, the
 * Linux default USER_HZ); undefined where there is no such file.
 */
export function mainThreadCpuMicros(): number | undefined {
  return taskCpuMicros(String(process.pid));
}

/** The machine's CPU time so far by kind (the `cpu` line of /proc/stat, in clock ticks); undefined without it. */
export function machineCpuTicks(): number[] | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
    return line.trim().split(/\s+/).slice(1).map(Number);
  } catch {
    return undefined;
  }
}

/** Share of the CPU time between two {@link machineCpuTicks} readings spent idle or in iowait (fields 4 and 5). */
export function idleShare(before: number[], after: number[]): number {
  const d = after.map((v, i) => v - (before[i] ?? 0));
  const total = d.reduce((a, b) => a + b, 0);
  return total > 0 ? Number((((d[3] ?? 0) + (d[4] ?? 0)) / total).toFixed(3)) : 0;
}

/** CPU time of one thread of this process so far, in µs; undefined where it cannot be read. */
export function taskCpuMicros(tid: string): number | undefined {
  try {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * CLOCK_TICK_MICROS;
  } catch {
    return undefined;
  }
}

/**
 * CPU time of each of this process's threads so far, in µs, by thread id
 * (same source and unit as {@link mainThreadCpuMicros}); empty where there is no /proc.
 */
export function threadCpuMicros(): Map<string, number> {
  const out = new Map<string, number>();
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return out;
  }
  for (const tid of tids) {
    // Undefined when the thread ended between the listing and the read.
    const us = taskCpuMicros(tid);
    if (us !== undefined) out.set(tid, us);
  }
  return out;
}

/** Per thread, the CPU used between two {@link threadCpuMicros} readings. */
export function cpuSince(before: Map<string, number>, after: Map<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [tid, us] of after) out.set(tid, us - (before.get(tid) ?? 0));
  return out;
}

export function sumOf(cpu: Map<string, number>, tids: readonly string[]): number {
  return tids.reduce((s, tid) => s + (cpu.get(tid) ?? 0), 0);
}
