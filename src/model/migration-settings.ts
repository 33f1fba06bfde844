/**
 * Migration capabilities and parameters as QEMU 7.2 or 10.0 lists them (names, order, defaults),
 * with the checks QEMU makes when they are set.
 */
import { qapiInputSchema } from "../generated/json-schemas.ts";
import type { JsonObject, JsonValue } from "../qmp/json-value.ts";
import { QmpCommandError } from "../qmp/server-session.ts";
import { CAPABILITIES_10_0, REMOVED_PARAMETERS_10_0 } from "./arguments-10.0.ts";
import type { ModelVersion } from "./profile.ts";

/**
 * QEMU 7.2's MigrationCapability values, in order, from the project's schema (schema/migration.json
 * declares exactly 7.2's list), so the model and the validators cannot disagree.
 */
export const CAPABILITIES: readonly string[] = schemaEnum("MigrationCapability");

function schemaEnum(name: string): readonly string[] {
  const definitions = qapiInputSchema.definitions as Record<string, { enum?: unknown }> | undefined;
  const values = definitions?.[name]?.enum;
  if (!Array.isArray(values)) throw new Error(`the generated schema has no enum '${name}'`);
  return values.map(String);
}

/** QEMU 7.2's defaults (query-migrate-parameters on a fresh QEMU). */
export function defaultParameters(): JsonObject {
  return {
    "announce-initial": 50,
    "announce-max": 550,
    "announce-rounds": 5,
    "announce-step": 100,
    "compress-level": 1,
    "compress-threads": 8,
    "compress-wait-thread": true,
    "decompress-threads": 2,
    "throttle-trigger-threshold": 50,
    "cpu-throttle-initial": 20,
    "cpu-throttle-increment": 10,
    "cpu-throttle-tailslow": false,
    "tls-creds": "",
    "tls-hostname": "",
    "tls-authz": "",
    "max-bandwidth": 128 * 1024 * 1024,
    "downtime-limit": 300,
    "x-checkpoint-delay": 20000,
    "block-incremental": false,
    "multifd-channels": 2,
    "multifd-compression": "none",
    "multifd-zlib-level": 1,
    "multifd-zstd-level": 1,
    "xbzrle-cache-size": 64 * 1024 * 1024,
    "max-postcopy-bandwidth": 0,
    "max-cpu-throttle": 99,
  };
}

/** QEMU 10.0's defaults: 7.2's without the members 9.1 removed, with those 8.0 – 10.0 added. */
export function defaultParameters10(): JsonObject {
  const params = defaultParameters();
  for (const name of REMOVED_PARAMETERS_10_0) delete params[name];
  return {
    ...params,
    "avail-switchover-bandwidth": 0,
    "direct-io": false,
    mode: "normal",
    "multifd-qatzip-level": 1,
    "vcpu-dirty-limit": 1,
    "x-vcpu-dirty-limit-period": 1000,
    "zero-page-detection": "multifd",
  };
}

const MAX_DOWNTIME_MS = 2_000_000;

export class MigrationSettings {
  readonly caps: Map<string, boolean>;
  readonly params: JsonObject;

  constructor(version: ModelVersion = "7.2") {
    const names = version === "10.0" ? CAPABILITIES_10_0 : CAPABILITIES;
    this.caps = new Map(names.map((c) => [c, false]));
    this.params = version === "10.0" ? defaultParameters10() : defaultParameters();
  }

  has(capability: string): boolean {
    return this.caps.get(capability) === true;
  }

  /** Applies a validated `capabilities` list; the caller refuses while a migration runs. */
  setCapabilities(list: JsonValue | undefined): void {
    const entries = Array.isArray(list) ? list : [];
    for (const entry of entries) {
      if (entry === null || typeof entry !== "object" || Array.isArray(entry)) continue;
      if (typeof entry.capability === "string") this.caps.set(entry.capability, entry.state === true);
    }
  }

  queryCapabilities(): JsonObject[] {
    return [...this.caps].map(([capability, state]) => ({ state, capability }));
  }

  setParameters(args: JsonObject): void {
    const downtime = args["downtime-limit"];
    if (typeof downtime === "number" && (downtime < 0 || downtime > MAX_DOWNTIME_MS))
      throw new QmpCommandError(
        "GenericError",
        // QEMU 7.2 prints its macro's text, not the number.
        "Parameter 'downtime_limit' expects an integer in the range of 0 to (2000 * 1000) ms",
      );
    for (const [name, value] of Object.entries(args)) if (name in this.params) this.params[name] = value;
  }

  /** Bytes per second the migration may use (max-bandwidth). */
  get bandwidth(): number {
    const value = this.params["max-bandwidth"];
    return typeof value === "number" && value > 0 ? value : 128 * 1024 * 1024;
  }

  get downtimeLimitMs(): number {
    const value = this.params["downtime-limit"];
    return typeof value === "number" ? value : 300;
  }
}
