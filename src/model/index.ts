/** The embedded QEMU 7.2 model: public surface. */
export { ManualClock, type ModelClock, realClock } from "./clock.ts";
export { MigrationLinks } from "./migration-link.ts";
export { type ModelPair, type ModelPairOptions, startModelPair } from "./model-pair.ts";
export { QemuModel, type QemuModelOptions } from "./qemu-model.ts";
