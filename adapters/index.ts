/** Public surface of the adapters: `jobshim/adapters` (src/ never imports adapters/, so this is its own entry point). */
export { type FacadeClient, FacadeClients } from "./job-facade/clients.ts";
export { JobFacade, type JobFacadeOptions } from "./job-facade/facade.ts";
export { MigrationJob } from "./job-facade/migration-job.ts";
export { type Convergence, type ProgressOptions, ProgressTracker } from "./job-facade/progress.ts";
export { type Upstream, upstreamOf } from "./job-facade/upstream.ts";
export { LegacyFacade, type LegacyFacadeOptions } from "./legacy-facade/facade.ts";
export {
  createJobFacadeProxy,
  createLegacyFacadeProxy,
  type FacadeProxy,
  type JobFacadeProxy,
  type JobFacadeProxyOptions,
  type LegacyFacadeProxy,
  type LegacyFacadeProxyOptions,
} from "./proxy.ts";
export { findQemuBinary, type QemuPair, type QemuPairOptions, startQemuPair } from "./qemu-pair.ts";
