/**
 * Proxy memory: a `jobshim proxy --facade jobs` process of its own in front of a real QEMU, 100
 * clients connected and negotiated and then idle; its resident set size read from
 * /proc/PID/status (VmRSS now, VmHWM the peak), before the clients and with them.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ProxyProcess, startProxyProcess } from "./proxy-process.ts";
import { startBenchQemu } from "./qmp-qemu.ts";
import { RawQmpClient } from "./qmp-raw-client.ts";
import { round } from "./stats.ts";

const CLIENTS = 100;
const SETTLE_MS = 1000;

export interface MemoryBenchResult {
  proxy_rss_mb_100_clients: number;
  proxy_rss_mb_idle: number;
  proxy_peak_rss_mb: number;
  clients: number;
}

export async function benchMemory(binary: string): Promise<MemoryBenchResult> {
  const qemu = await startBenchQemu(binary, 1);
  const dir = mkdtempSync(join(tmpdir(), "jobshim-bench-memory-"));
  let proxy: ProxyProcess | undefined;
  const clients: RawQmpClient[] = [];
  const settle = () => new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  try {
    proxy = await startProxyProcess(qemu.sockets[0] as string, join(dir, "proxy.sock"));
    await settle();
    const idle = proxy.memory();
    // Each client reads the greeting and negotiates, then sends nothing more.
    for (let i = 0; i < CLIENTS; i++) clients.push(await RawQmpClient.open(proxy.path));
    await settle();
    const loaded = proxy.memory();
    return {
      proxy_rss_mb_100_clients: round(loaded.rssMb, 1),
      proxy_rss_mb_idle: round(idle.rssMb, 1),
      proxy_peak_rss_mb: round(loaded.peakMb, 1),
      clients: CLIENTS,
    };
  } finally {
    for (const client of clients) client.close();
    await proxy?.stop();
    await qemu.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
