/** The embedded QEMU model (7.2 by default, or 10.0): public surface. */
export { ManualClock, type ModelClock, realClock } from "./clock.ts";
export { MigrationLinks } from "./migration-link.ts";
export { type ModelPair, type ModelPairOptions, startModelPair } from "./model-pair.ts";
export {
  MODEL_VERSIONS,
  type ModelProfile,
  type ModelVersion,
  modelProfile,
} from "./profile.ts";
export { QemuModel, type QemuModelOptions } from "./qemu-model.ts";
