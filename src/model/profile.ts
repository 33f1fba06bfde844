/**
 * Which QEMU the model behaves as. A profile holds the facts in which QEMU 10.0 differs from
 * 7.2 for the model's subset; everything else is shared code. Each fact was read from QEMU
 * 10.0.2's migration/ sources and checked against real 10.0 traces
 * (test/src/model/equivalence.test.ts runs the same scenarios on both and on the model).
 */

export type ModelVersion = "7.2" | "10.0";

export const MODEL_VERSIONS: readonly ModelVersion[] = ["7.2", "10.0"];

export interface ModelProfile {
  readonly version: ModelVersion;
  /** What `query-version` answers. */
  readonly queryVersion: { qemu: { major: number; minor: number; micro: number }; package: string };
  /**
   * Every switchover passes `device` (10.0: migration_switchover_prepare), not only the one
   * released from pre-switchover (7.2).
   */
  readonly deviceOnEverySwitchover: boolean;
  /** `migrate resume=true` passes postcopy-recover-setup before postcopy-recover (9.1). */
  readonly postcopyRecoverSetup: boolean;
  /** `migrate_cancel` is refused while postcopy runs (10.0's migration_in_postcopy()). */
  readonly cancelRefusedInPostcopy: boolean;
  /** `query-status` still carries `singlestep` (gone in 10.0). */
  readonly singlestep: boolean;
  /** RAM stats still carry `skipped` (gone in 10.0). */
  readonly ramSkipped: boolean;
  /** The refusal of `migrate-pause` outside postcopy. */
  readonly pauseRefusal: string;
}

export const PROFILES: Readonly<Record<ModelVersion, ModelProfile>> = {
  "7.2": {
    version: "7.2",
    queryVersion: {
      qemu: { micro: 0, minor: 2, major: 7 },
      package: "Debian 1:7.2+dfsg-7+deb12u18 (jobshim model)",
    },
    deviceOnEverySwitchover: false,
    postcopyRecoverSetup: false,
    cancelRefusedInPostcopy: false,
    singlestep: true,
    ramSkipped: true,
    pauseRefusal: "migrate-pause is currently only supported during postcopy-active state",
  },
  "10.0": {
    version: "10.0",
    queryVersion: {
      qemu: { micro: 2, minor: 0, major: 10 },
      package: "Debian 1:10.0.2+ds-2+deb13u1~bpo12+1 (jobshim model)",
    },
    deviceOnEverySwitchover: true,
    postcopyRecoverSetup: true,
    cancelRefusedInPostcopy: true,
    singlestep: false,
    ramSkipped: false,
    pauseRefusal:
      "migrate-pause is currently only supported during postcopy-active or postcopy-recover state",
  },
};

export function modelProfile(version: ModelVersion = "7.2"): ModelProfile {
  const profile = PROFILES[version];
  if (!profile) throw new Error(`unknown model version '${version}' (known: ${MODEL_VERSIONS.join(", ")})`);
  return profile;
}
