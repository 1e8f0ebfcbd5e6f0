import type { EventEmitter } from 'node:events';
import type { FastifyInstance } from 'fastify';
import type { Migration, RawBuilder } from 'kysely';
import type { Address, Hex } from 'viem';
import type { z } from 'zod';
import type { ChainClients } from '../chain/clients.ts';
import type { Deployment } from '../chain/deployment.ts';
import type { Logger } from '../internal/logger.ts';
import type { Db } from '../store/db.ts';

/** A governed number a module reads; `genesis` is written to ParameterRegistry when a network is deployed. */
export interface ParameterSpec {
  key: string;
  /** Genesis value, or a rule deriving it from the network's epoch length (seconds). */
  genesis: bigint | ((network: { epochSeconds: bigint }) => bigint);
  description: string;
}

/** Read access to the governed parameters (mirrored from ParameterRegistry events). */
export type Params = ReadonlyMap<string, bigint>;

/** Looks up a parameter, failing loudly when governance never set it. */
export function requireParam(params: Params, key: string): bigint {
  const v = params.get(key);
  if (v === undefined) throw new Error(`parameter ${key} is not set in ParameterRegistry`);
  return v;
}

export interface KindSpec {
  /** Schema of the envelope body for this kind. */
  body: z.ZodType;
  description: string;
}

/** An accepted, stored envelope as a module verifier sees it. */
export interface StoredEnvelope {
  id: number;
  deviceId: string;
  seq: number;
  time: number;
  receivedAt: number;
  kind: string;
  body: unknown;
}

export interface DeviceInfo {
  deviceId: string;
  module: string;
  h3Cell: string;
  operator: string;
  active: boolean;
}

/** A module's judgement of one envelope: accepted (with what it contributes) or a reason code. */
export type ModuleVerdict =
  | { status: 'accepted'; reason: string; contribution: Record<string, unknown> }
  | { status: 'rejected'; reason: string };

export interface EpochWindow {
  epoch: number;
  startMs: number;
  endMs: number;
}

/** A device's score as a module computes it; the core adds the beneficiary. */
export interface ModuleDeviceScore {
  deviceId: string;
  score: bigint;
  reason: string;
  detail?: Record<string, string | number>;
}

/** What a simulated device of a module sends next. */
export interface SimulatedReading {
  kind: string;
  body: Record<string, unknown>;
}

/** What a module's {@link GroundworkModule.start} leaves running. */
export interface ModuleWork {
  stop(): Promise<void>;
  /**
   * Called by the epoch closer at each close, after the epoch's end and
   * before any module's inputs are collected; the close waits for it, and
   * a failure fails the close, which is retried. For work the inputs depend
   * on that the service otherwise does on its own schedule — coverage brings
   * its index of DataCredits events up to the chain head, so a debit mined
   * just before the end is not missed. Not called where no service runs (a
   * replay of a bundle, which carries its inputs).
   */
  beforeClose?(): Promise<void>;
}

/** What a running node lends a module: its store, chain, parameters, logger and event bus. */
export interface ModuleRuntime {
  db: Db;
  clients: ChainClients;
  deployment: Deployment;
  /** This module's own contracts, as its `deploy` hook returned them. */
  contracts: Record<string, Address>;
  params: () => Params;
  log: Logger;
  /** The node's live event bus (server-sent events): emit `{ type, ... }` objects on a module-named event. */
  bus: EventEmitter;
  dataDir: string;
  /** Keys the local node holds (development networks): the deployer/submitter and the oracles. */
  keys: { deployer: Hex; oracles: Hex[] };
}

/** A CLI command a module adds: `groundwork <module> <name>` or, for `topLevel`, `groundwork <name>`. */
export interface ModuleCommand {
  summary: string;
  usage: string;
  /** Runs with the arguments after the command name; resolves to the exit code. */
  run(argv: string[]): Promise<number>;
}

/**
 * The one interface between the core and a module. A module lives in its own
 * folder under `modules/`, exports one of these as default, and the core finds
 * it there: adding a module touches no core file.
 */
export interface GroundworkModule {
  /** Module id, also the envelope kind prefix and the on-chain `module` of its devices. */
  id: string;
  description: string;
  /** Message kinds by name (the part after `<id>.`). */
  kinds: Record<string, KindSpec>;
  /** Governed numbers this module reads; `reward.weight.<id>` among them. */
  parameters: ParameterSpec[];
  /**
   * Verifies one accepted envelope (already authenticated, schema-checked) in
   * arrival order. Must be deterministic in (envelope, device, params).
   */
  verify(args: { envelope: StoredEnvelope; device: DeviceInfo; params: Params }): ModuleVerdict;
  /**
   * Aggregates the epoch's contributions into scoring inputs (JSON-safe), in
   * the database. These inputs go into the epoch bundle. A module gives this
   * or {@link deviceInputs}, not both.
   */
  collectInputs?(args: { db: Db; window: EpochWindow; params: Params }): Promise<Record<string, unknown>>;
  /**
   * Per-device inputs, for a module whose inputs are one value per device:
   * a SQL select of `device_id` and `value` (canonical JSON text, at most one
   * row per device) over the window. The core reads it in the same snapshot
   * (one read transaction) as the module's active devices and merges the two
   * by device id (so they always agree), and the inputs are then an array
   * aligned with `devices` —
   * `inputs[i]` is the value of `devices[i]`, `null` for a device without a
   * row. At a million devices this is one array of small values instead of
   * an object keyed by device id: cheaper to build, parse and write.
   */
  deviceInputs?(args: { window: EpochWindow; params: Params; dialect: 'sqlite' | 'postgres' }): RawBuilder<{
    device_id: string;
    value: string;
  }>;
  /**
   * Pure scoring of every device of the module from the collected inputs
   * (for a module with {@link deviceInputs}, the array aligned with
   * `devices`). `devices` lists every active device of the module at epoch
   * close, sorted by id (so silent ones get a zero line with a reason).
   * Scores are best returned in `devices` order, as objects the core may
   * extend (it adds each one's beneficiary rather than copy a million).
   */
  score(args: {
    window: EpochWindow;
    inputs: Record<string, unknown> | unknown[];
    devices: string[];
    params: Params;
  }): ModuleDeviceScore[];
  /** Simulated honest readings for `groundwork up`'s fleet. */
  simulate?: {
    intervalMs(params: Params): number;
    next(args: { deviceIndex: number; now: number; tick: number }): SimulatedReading;
  };
  /** Extra HTTP routes under `/v1/modules/<id>/`. */
  routes?(app: FastifyInstance, rt: ModuleRuntime): void | Promise<void>;
  /** The module's own tables: Kysely migrations, run after the core's (names are prefixed `<id>/`). */
  migrations?: Record<string, Migration>;
  /**
   * Deploys the module's contracts on a network (once; also when the module
   * is added to an existing network). Returns name → address, kept in
   * deployment.json under `modules.<id>`.
   */
  deploy?(ctx: {
    clients: ChainClients;
    deployerKey: Hex;
    oracleKeys: Hex[];
    oracleThreshold: number;
    core: Deployment['contracts'];
    onProgress: (step: string) => void;
  }): Promise<Record<string, Address>>;
  /** Background work of a running node (anchoring, settlement, …); stopped with the node. */
  start?(rt: ModuleRuntime): Promise<ModuleWork | undefined>;
  /** CLI: `groundwork sim --module <id> …`, `groundwork <id> <command> …`, and top-level commands. */
  cli?: {
    simulate?: ModuleCommand;
    commands?: Record<string, ModuleCommand>;
    topLevel?: Record<string, ModuleCommand>;
  };
}
