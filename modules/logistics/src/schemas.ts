import { isValidCell } from 'h3-js';
import { z } from 'zod';

/** Latitude in 1e-7 degrees (int32 range, as GNSS receivers report it). */
export const latE7 = z.number().int().min(-900_000_000).max(900_000_000);
/** Longitude in 1e-7 degrees. */
export const lngE7 = z.number().int().min(-1_800_000_000).max(1_800_000_000);

const msTime = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** A position: latitude/longitude in 1e-7 degrees (with an optional accuracy), or an H3 cell. */
export const positionSchema = z.union([
  z.object({ latE7, lngE7, accuracyM: z.number().int().min(0).max(1_000_000).optional() }).strict(),
  z
    .object({
      h3: z
        .string()
        .regex(/^[0-9a-f]{15}$/, 'an H3 cell index: 15 lowercase hex digits')
        .refine((c) => isValidCell(c), 'not a valid H3 cell'),
    })
    .strict(),
]);
export type Position = z.infer<typeof positionSchema>;

/**
 * Body of a `logistics.reading`: what a tracker sensed at `at` (its measurement time, which may be earlier than
 * the envelope time when the tracker back-fills readings it buffered while out of coverage). Fixed-point integers
 * only, as docs/PROTOCOL.md recommends. At least one measurement.
 */
export const readingBody = z
  .object({
    at: msTime,
    /** Temperature, milli-degrees Celsius. */
    tempMc: z.number().int().min(-100_000).max(150_000).optional(),
    /** Relative humidity, per mille (0–1000 = 0–100 %). */
    humidityPm: z.number().int().min(0).max(1000).optional(),
    position: positionSchema.optional(),
    /** Peak acceleration since the previous reading, milli-g. */
    shockMg: z.number().int().min(0).max(1_000_000).optional(),
    /** Battery, per mille. */
    batteryPm: z.number().int().min(0).max(1000).optional(),
  })
  .strict()
  .refine(
    (b) =>
      b.tempMc !== undefined ||
      b.humidityPm !== undefined ||
      b.position !== undefined ||
      b.shockMg !== undefined,
    'a reading needs at least one of tempMc, humidityPm, position, shockMg',
  );
export type ReadingBody = z.infer<typeof readingBody>;

const tolerance = z
  .number()
  .int()
  .min(0)
  .max(30 * 86_400);

/** A condition rule of a shipment. Thresholds are the shipper's; the network's thresholds are governed parameters. */
export const ruleSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('temperature'),
      minMc: z.number().int().min(-100_000).max(150_000),
      maxMc: z.number().int().min(-100_000).max(150_000),
      /** An excursion is a breach once it has lasted this long (0: any reading outside the band). */
      toleranceSeconds: tolerance.default(0),
    })
    .strict()
    .refine((r) => r.minMc <= r.maxMc, 'minMc must not exceed maxMc'),
  z
    .object({
      kind: z.literal('humidity'),
      minPm: z.number().int().min(0).max(1000),
      maxPm: z.number().int().min(0).max(1000),
      toleranceSeconds: tolerance.default(0),
    })
    .strict()
    .refine((r) => r.minPm <= r.maxPm, 'minPm must not exceed maxPm'),
  z.object({ kind: z.literal('shock'), maxMg: z.number().int().min(0).max(1_000_000) }).strict(),
  z
    .object({
      kind: z.literal('corridor'),
      /** Largest distance from the route polyline, metres. */
      widthM: z.number().int().min(1).max(1_000_000),
      toleranceSeconds: tolerance.default(0),
    })
    .strict(),
  z
    .object({
      kind: z.literal('silence'),
      /** Largest gap between two readings of one tracker, seconds. */
      maxGapSeconds: z
        .number()
        .int()
        .min(1)
        .max(30 * 86_400),
    })
    .strict(),
]);
export type Rule = z.infer<typeof ruleSchema>;

export const waypointSchema = z.object({ latE7, lngE7, name: z.string().max(80).optional() }).strict();
export type Waypoint = z.infer<typeof waypointSchema>;

export const routeSchema = z.object({ waypoints: z.array(waypointSchema).min(1).max(500) }).strict();
export type Route = z.infer<typeof routeSchema>;

export const ROLES = ['shipper', 'carrier', 'receiver', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

export const addressSchema = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, 'a 0x-prefixed 20-byte address')
  .transform((a) => a.toLowerCase() as `0x${string}`);
export const deviceIdSchema = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, 'a device id: 0x + 64 hex digits')
  .transform((a) => a.toLowerCase() as `0x${string}`);
export const shipmentIdSchema = deviceIdSchema;
export const recordIdSchema = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, 'a record id: 0x + 64 hex digits')
  .transform((a) => a.toLowerCase() as `0x${string}`);
export const hexSignature = z.string().regex(/^0x[0-9a-fA-F]{130}$/, 'a 65-byte signature 0x…');

export const partySchema = z
  .object({ account: addressSchema, role: z.enum(['carrier', 'receiver', 'auditor']) })
  .strict();

export const createShipmentSchema = z
  .object({
    reference: z.string().min(1).max(120),
    trackers: z.array(deviceIdSchema).min(1).max(32),
    parties: z.array(partySchema).min(1).max(64),
    route: routeSchema,
    rules: z.array(ruleSchema).max(32).default([]),
    /** Start of tracking (ms); defaults to now; may be in the past (back-filled trackers), within the backfill window. */
    startAt: msTime.optional(),
  })
  .strict();
export type CreateShipment = z.infer<typeof createShipmentSchema>;

/** The custody hand-off both parties sign (EIP-712 `CustodyHandoff`; see handoff.ts). */
export const handoffMessageSchema = z
  .object({
    shipment: shipmentIdSchema,
    index: z.number().int().min(0).max(1_000_000),
    from: addressSchema,
    to: addressSchema,
    at: msTime,
    latE7,
    lngE7,
    place: z.string().max(120).default(''),
    note: z.string().max(500).default(''),
  })
  .strict();
export type HandoffMessage = z.infer<typeof handoffMessageSchema>;

export const handoffRequestSchema = z
  .object({
    handoff: handoffMessageSchema,
    signatures: z.object({ from: hexSignature.optional(), to: hexSignature.optional() }).strict().default({}),
  })
  .strict();
