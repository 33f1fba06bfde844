/** Small formatting shared by the report writers. */
import type { ConformanceReport } from "./result.ts";

export function qemuLabel(qemu: ConformanceReport["qemu"]): string {
  const v = qemu.version.qemu as { major?: number; minor?: number; micro?: number } | undefined;
  const pkg =
    typeof qemu.version.package === "string" && qemu.version.package ? ` (${qemu.version.package})` : "";
  const version = v ? `QEMU ${v.major}.${v.minor}.${v.micro}${pkg}` : "QEMU (version unknown)";
  const api = qemu.nativeMigrationJob ? "native migration job" : "legacy migration API";
  return `${version}, ${api}, ${qemu.binary}`;
}

export const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
