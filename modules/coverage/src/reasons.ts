/**
 * Reason codes of the coverage module: one per verdict an operator can see.
 * docs/COVERAGE.md explains each with its physics and parameters.
 *
 * @module
 */

/** Verdicts on a beacon (the challenged hotspot's broadcast). */
export const BeaconReason = {
  /** Provisional: passed its own checks; witnesses and rewards are decided at the epoch close. */
  valid: 'BEACON_VALID',
  /** Valid and heard by at least `minWitnesses` rewarded witnesses. */
  witnessed: 'BEACON_WITNESSED',
  /** Valid, but not enough rewarded witnesses: no reward for the beaconer. */
  unwitnessed: 'BEACON_UNWITNESSED',
  denylisted: 'BEACON_DENYLISTED',
  noLocation: 'BEACON_NO_LOCATION',
  /** The entropy round is unknown or was issued after the beacon arrived (prepared in advance). */
  entropyUnknown: 'BEACON_ENTROPY_UNKNOWN',
  /** Arrived more than `entropyLifeS` after its entropy round (replay or stale). */
  entropyStale: 'BEACON_ENTROPY_STALE',
  /** The same beacon again (same round and nonce): a harmless resend, not counted twice. */
  duplicate: 'BEACON_DUPLICATE',
  /** A second, different beacon for one challenge. */
  extra: 'BEACON_EXTRA',
  /** The round did not challenge this hotspot. */
  notChallenged: 'BEACON_NOT_CHALLENGED',
  wrongFrequency: 'BEACON_WRONG_FREQUENCY',
  wrongRegion: 'BEACON_WRONG_REGION',
  /** Declared EIRP or antenna gain above what the region allows. */
  powerInvalid: 'BEACON_POWER_INVALID',
} as const;
export type BeaconReasonCode = (typeof BeaconReason)[keyof typeof BeaconReason];

/** Beacon verdicts that count towards the replay flag. */
export const REPLAY_REASONS: ReadonlySet<string> = new Set([
  BeaconReason.entropyUnknown,
  BeaconReason.entropyStale,
  BeaconReason.extra,
  BeaconReason.notChallenged,
]);

/** Verdicts on a witness report. */
export const WitnessReason = {
  /** Provisional: physically valid; selection and the hotspot tests are decided at the epoch close. */
  valid: 'WITNESS_VALID',
  /** Physically valid and chosen among the rewarded witnesses of the beacon. */
  rewarded: 'WITNESS_REWARDED',
  /** Physically valid, but the beacon already had `maxWitnesses` witnesses ranked before it. */
  notSelected: 'WITNESS_NOT_SELECTED',
  /** Physically valid, but the pair has not heard each other both ways within the look-back. */
  notReciprocal: 'WITNESS_NOT_RECIPROCAL',
  /** Physically valid, but witness and beaconer belong to the same operator: proves nothing to anyone else. */
  sameOwner: 'WITNESS_SAME_OWNER',
  /** Physically valid, but the witness or the beaconer is flagged for the epoch. */
  hotspotFlagged: 'WITNESS_HOTSPOT_FLAGGED',
  /** Physically valid, but witness and beaconer belong to a closed group that only witnesses itself (a pair that
   *  only ever witness each other is the smallest). */
  ring: 'WITNESS_RING',
  self: 'WITNESS_SELF',
  duplicate: 'WITNESS_DUPLICATE',
  denylisted: 'WITNESS_DENYLISTED',
  noLocation: 'WITNESS_NO_LOCATION',
  /** The packet matches no beacon the network knows. */
  unknownBeacon: 'WITNESS_UNKNOWN_BEACON',
  /** The beacon itself was rejected. */
  beaconInvalid: 'WITNESS_BEACON_INVALID',
  /** Outside the timing window: too long after the beacon or after the first witness. */
  outsideWindow: 'WITNESS_OUTSIDE_WINDOW',
  wrongFrequency: 'WITNESS_WRONG_FREQUENCY',
  wrongRegion: 'WITNESS_WRONG_REGION',
  tooClose: 'WITNESS_TOO_CLOSE',
  tooFar: 'WITNESS_TOO_FAR',
  gainInvalid: 'WITNESS_GAIN_INVALID',
  /** Stronger than free-space path loss allows over the asserted distance. */
  rssiTooHigh: 'WITNESS_RSSI_TOO_HIGH',
  /** SNR higher than RSSI over the noise floor allows. */
  snrInconsistent: 'WITNESS_SNR_INCONSISTENT',
} as const;
export type WitnessReasonCode = (typeof WitnessReason)[keyof typeof WitnessReason];

/** Witness verdicts that break physics: evidence against one of the two hotspots. */
export const PHYSICS_VIOLATIONS: ReadonlySet<string> = new Set([
  WitnessReason.tooFar,
  WitnessReason.rssiTooHigh,
  WitnessReason.snrInconsistent,
  WitnessReason.wrongFrequency,
]);

/** Witness verdicts of a report that is physically sound (an edge of the witness graph). */
export const PHYSICALLY_VALID: ReadonlySet<string> = new Set([
  WitnessReason.valid,
  WitnessReason.rewarded,
  WitnessReason.notSelected,
  WitnessReason.notReciprocal,
  WitnessReason.sameOwner,
  WitnessReason.hotspotFlagged,
  WitnessReason.ring,
]);

/** Hotspot-level findings of an epoch. The `HOTSPOT_*` ones other than fees are fraud flags. */
export const HotspotFlag = {
  denylisted: 'HOTSPOT_DENYLISTED',
  /** Hard physics violations attributed to this hotspot on a large share of its links. */
  physics: 'HOTSPOT_PHYSICS_VIOLATIONS',
  /** Its links fit a location far from the asserted one much better (likelihood-ratio test). */
  location: 'HOTSPOT_LOCATION_INCONSISTENT',
  /** It reports the signals it hears much stronger than the other side reports its own. */
  rssiAsymmetry: 'HOTSPOT_RSSI_ASYMMETRY',
  /** Listening hotspots near its asserted location do not hear it, nor it them. */
  notCorroborated: 'HOTSPOT_NOT_CORROBORATED',
  /** A closed group of hotspots that only witness each other. */
  witnessRing: 'HOTSPOT_WITNESS_RING',
  replay: 'HOTSPOT_BEACON_REPLAY',
  /** Data sessions with a client of its own operator, or funded by it. */
  selfDealing: 'HOTSPOT_SELF_DEALING',
} as const;
export type HotspotFlagCode = (typeof HotspotFlag)[keyof typeof HotspotFlag];

/** Reasons on reward lines. */
export const RewardReason = {
  coverageAndData: 'COVERAGE_AND_DATA',
  coverage: 'COVERAGE',
  data: 'DATA_TRANSFER',
  none: 'NO_VERIFIED_ACTIVITY',
  feesUnpaid: 'FEES_UNPAID',
} as const;

/** Verdicts of the module's per-envelope `verify` (stateless checks) and of sessions and receipts. */
export const EnvelopeReason = {
  beaconReceived: 'BEACON_RECEIVED',
  witnessReceived: 'WITNESS_RECEIVED',
  sessionReceived: 'SESSION_RECEIVED',
  receiptReceived: 'RECEIPT_RECEIVED',
  noLocation: 'NO_ASSERTED_LOCATION',
  denylisted: 'DEVICE_DENYLISTED',
  sessionSignatureMissing: 'SESSION_CLIENT_SIGNATURE_MISSING',
  sessionSignatureInvalid: 'SESSION_CLIENT_SIGNATURE_INVALID',
  receiptSignatureMissing: 'RECEIPT_CLIENT_SIGNATURE_MISSING',
  receiptSignatureInvalid: 'RECEIPT_CLIENT_SIGNATURE_INVALID',
} as const;

/** Verdicts of sessions and usage receipts (module stage, against the session's history). */
export const SessionReason = {
  accepted: 'SESSION_ACCEPTED',
  duplicate: 'SESSION_DUPLICATE',
  wrongDomain: 'SESSION_WRONG_DOMAIN',
  expired: 'SESSION_EXPIRED',
  selfDealing: 'SESSION_SELF_DEALING',
  receiptAccepted: 'RECEIPT_ACCEPTED',
  receiptUnknownSession: 'RECEIPT_UNKNOWN_SESSION',
  receiptWrongDomain: 'RECEIPT_WRONG_DOMAIN',
  receiptClientMismatch: 'RECEIPT_CLIENT_MISMATCH',
  receiptHotspotMismatch: 'RECEIPT_HOTSPOT_MISMATCH',
  receiptDuplicate: 'RECEIPT_DUPLICATE',
  receiptBytesNotIncreasing: 'RECEIPT_BYTES_NOT_INCREASING',
  receiptRateImplausible: 'RECEIPT_RATE_IMPLAUSIBLE',
  receiptSessionRejected: 'RECEIPT_SESSION_REJECTED',
} as const;
