/**
 * Reason codes of the energy module. Meter reads get one per read (accepted
 * or rejected, in the verdict trail an operator reads); reward lines get one
 * per meter and epoch.
 */
export const EnergyReason = {
  // Accepted.
  /** The read passed the checks that need nothing but the read (slot shape, timing, counters present). */
  intervalReceived: 'INTERVAL_RECEIVED',
  /** The read passed every check of the meter ledger and counts for settlement and rewards. */
  intervalOk: 'INTERVAL_OK',
  /** A site declaration (connection capacity, solar array, battery) was recorded. */
  siteDeclared: 'SITE_DECLARED',

  // Rejected: the read alone.
  /** `start` is not on a slot boundary or `end − start` is not one slot. */
  intervalMisaligned: 'INTERVAL_MISALIGNED',
  /** The read was signed before its interval ended. */
  readBeforeIntervalEnd: 'READ_BEFORE_INTERVAL_END',
  /** The read arrived after its slot's books closed (`energy.settleDelaySeconds` after the end), or its slot is settled. */
  slotAlreadySettled: 'SLOT_ALREADY_SETTLED',
  /** The read carries no cumulative import and export counters. */
  countersMissing: 'METER_COUNTERS_MISSING',
  /** Interval energy and counters disagree (a counter advanced by another amount than the interval says). */
  counterMismatch: 'METER_COUNTER_MISMATCH',
  /** A cumulative counter is below an earlier read's (or above a later read's). */
  notMonotonic: 'METER_NOT_MONOTONIC',
  /** More energy than the connection's rated capacity allows in the time. */
  aboveCapacity: 'ABOVE_RATED_CAPACITY',
  /** More export than clear-sky irradiance allows the site's solar array (plus its battery) at its place and time. */
  exportAboveClearSky: 'EXPORT_ABOVE_CLEAR_SKY',
  /** The meter already has an accepted read for this slot. */
  duplicateRead: 'DUPLICATE_READ',
  /** The meter has not declared its site yet, so its reads cannot be checked. */
  siteNotDeclared: 'SITE_NOT_DECLARED',
  /** A site declaration outside the governed bounds. */
  siteInvalid: 'SITE_INVALID',

  // Reward lines.
  /** Verified solar export in the epoch; the score is its Wh. */
  solarExportVerified: 'SOLAR_EXPORT_VERIFIED',
  /** No verified solar export in the epoch. */
  noVerifiedExport: 'NO_VERIFIED_EXPORT',
} as const;

export type EnergyReasonCode = (typeof EnergyReason)[keyof typeof EnergyReason];
