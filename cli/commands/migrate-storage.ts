/**
 * `jobshim migrate --storage NODE[=DEST_NODE]`: migration without shared storage. The destination
 * exports its disk node over NBD (a private unix socket, so both QEMUs on this host, like the
 * default migration URI); the source attaches an NBD client node to it and mirrors its own node
 * there with `blockdev-mirror`. The mirrors are then handed to `job-migrate {mirrors}`, so they
 * and the migration switch over together or not at all (decision 0003). Everything this adds to
 * either QEMU is removed again in `cleanup`, whatever happened.
 */
import path from "node:path";
import type { QmpClient } from "../../src/qmp/client.ts";
import type { JsonObject, JsonValue } from "../../src/qmp/json-value.ts";

/** One disk to carry over: the source's node, mirrored onto the destination's node. */
export interface StorageDisk {
  node: string;
  destNode: string;
}

/** QEMU job statuses of a mirror that is still copying (as in decision 0003). */
const COPYING: readonly string[] = ["created", "running", "ready", "paused", "standby"];

/** QEMU's rule for node names (id_wellformed), and its 31-character limit. */
const NODE_NAME = /^[A-Za-z][A-Za-z0-9._-]{0,30}$/;

/** `--storage` values checked before anything connects; one clear line for the first bad one. */
export function parseStorage(values: readonly string[]): StorageDisk[] {
  const disks = values.map((value) => {
    const [node = "", destNode = node, ...rest] = value.split("=");
    for (const name of [node, destNode])
      if (rest.length > 0 || !NODE_NAME.test(name))
        throw new Error(
          `--storage '${value}' is not NODE or NODE=DEST_NODE with block node names (a letter, then letters, digits, '-', '.', '_')`,
        );
    return { node, destNode };
  });
  for (const key of ["node", "destNode"] as const) {
    const seen = new Set<string>();
    for (const disk of disks) {
      if (seen.has(disk[key]))
        throw new Error(
          `--storage names the ${key === "node" ? "source" : "destination"} node '${disk[key]}' twice`,
        );
      seen.add(disk[key]);
    }
  }
  return disks;
}

/** What the progress line shows of one mirror. */
export interface MirrorView {
  node: string;
  id: string;
  status: string;
  current: number;
  total: number;
}

/** The mirrors of one run and everything set up for them, so that all of it can be undone. */
export class StorageMirrors {
  private readonly undo: (() => Promise<unknown>)[] = [];
  private readonly failures = new Map<string, string>();
  private readonly stopListening: () => void;

  private constructor(
    private readonly source: QmpClient,
    private readonly destination: QmpClient,
    readonly disks: readonly StorageDisk[],
  ) {
    // Auto-dismissed mirrors vanish from query-jobs: their error is only in the event.
    this.stopListening = source.onEvent((event) => {
      const data = (event.data ?? {}) as JsonObject;
      const id = String(data.device ?? "");
      if (!this.jobIds.includes(id)) return;
      if (event.event === "BLOCK_JOB_CANCELLED") this.failures.set(id, "cancelled");
      if (event.event === "BLOCK_JOB_COMPLETED" && typeof data.error === "string")
        this.failures.set(id, `failed: ${data.error}`);
    });
  }

  get jobIds(): string[] {
    return this.disks.map((disk) => mirrorJobId(disk));
  }

  /**
   * Checks the nodes, exports the destination's, attaches and mirrors the source's. On any
   * failure what was set up so far is removed again before the error is thrown.
   */
  static async start(
    source: QmpClient,
    destination: QmpClient,
    disks: readonly StorageDisk[],
    dir: string,
  ): Promise<StorageMirrors> {
    await requireNodes(
      source,
      "source",
      disks.map((d) => d.node),
    );
    await requireNodes(
      destination,
      "destination",
      disks.map((d) => d.destNode),
    );
    const mirrors = new StorageMirrors(source, destination, disks);
    try {
      await mirrors.setUp(path.join(dir, "nbd.sock"));
      return mirrors;
    } catch (error) {
      await mirrors.cleanup();
      throw error;
    }
  }

  private async setUp(socket: string): Promise<void> {
    await step("the destination's NBD server", () =>
      this.destination.execute("nbd-server-start", { addr: { type: "unix", data: { path: socket } } }),
    );
    this.undo.push(() => this.destination.execute("nbd-server-stop"));
    for (const [index, disk] of this.disks.entries()) {
      const exportId = `jobshim-export-${disk.destNode}`;
      await step(`--storage ${disk.node}: exporting the destination's '${disk.destNode}'`, () =>
        this.destination.execute("block-export-add", {
          type: "nbd",
          id: exportId,
          "node-name": disk.destNode,
          name: disk.destNode,
          writable: true,
        }),
      );
      this.undo.push(() => this.destination.execute("block-export-del", { id: exportId, mode: "hard" }));
      const target = `jobshim-nbd${index}`;
      await step(`--storage ${disk.node}: attaching the destination's export`, () =>
        this.source.execute("blockdev-add", {
          driver: "nbd",
          "node-name": target,
          server: { type: "unix", path: socket },
          export: disk.destNode,
        }),
      );
      this.undo.push(() => this.source.execute("blockdev-del", { "node-name": target }));
      await step(`--storage ${disk.node}: starting the mirror`, () =>
        this.source.execute("blockdev-mirror", {
          "job-id": mirrorJobId(disk),
          device: disk.node,
          target,
          sync: "full",
        }),
      );
      this.undo.push(() => this.forget(mirrorJobId(disk)));
    }
  }

  /**
   * Each mirror as QEMU reports it now. A mirror gone from query-jobs is `failed: ...` or
   * `cancelled` when its event said so, else `done` (the transaction completed it).
   */
  async views(): Promise<MirrorView[]> {
    const jobs = (await this.source.execute("query-jobs")) as JsonValue[];
    return this.disks.map((disk) => {
      const id = mirrorJobId(disk);
      const job = jobs.find((j): j is JsonObject => isObject(j) && j.id === id);
      const status = this.failures.get(id) ?? (job === undefined ? "done" : String(job.status));
      const total = Number(job?.["total-progress"] ?? 0);
      return { node: disk.node, id, status, current: Number(job?.["current-progress"] ?? 0), total };
    });
  }

  /** Waits until every mirror is ready, so that the guest's stop at switchover stays short. */
  async waitReady(signal: AbortSignal, show: (views: MirrorView[]) => void, pollMs: number): Promise<void> {
    for (;;) {
      if (signal.aborted) throw signal.reason;
      const views = await this.views();
      show(views);
      const ended = views.find((v) => !COPYING.includes(v.status));
      if (ended)
        throw new Error(
          `mirror job '${ended.id}' of --storage ${ended.node} ended before it was ready: ${ended.status}`,
        );
      if (views.every((v) => v.status === "ready")) return;
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }

  /**
   * Undoes everything, newest first: mirrors still there are cancelled (forced: nothing is
   * pivoted, the source keeps its disk) and awaited, then the NBD client nodes, the exports and
   * the NBD server go. The destination may already have exited after a failed migration, so
   * each step's failure is ignored and the next one still runs.
   */
  async cleanup(): Promise<void> {
    this.stopListening();
    for (const undo of this.undo.splice(0).reverse()) await undo().catch(() => undefined);
  }

  private async forget(id: string): Promise<void> {
    const deadline = Date.now() + 10_000;
    let cancelled = false;
    while (Date.now() < deadline) {
      const jobs = (await this.source.execute("query-jobs")) as JsonValue[];
      const job = jobs.find((j): j is JsonObject => isObject(j) && j.id === id);
      if (job === undefined) return;
      if (job.status === "concluded") {
        await this.source.execute("job-dismiss", { id }).catch(() => undefined);
      } else if (!cancelled) {
        cancelled = true;
        await this.source.execute("job-cancel", { id }).catch(() => undefined);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

export const mirrorJobId = (disk: StorageDisk): string => `jobshim-mirror-${disk.node}`;

/** The mirrors' share of the progress line: `disks disk0 ready 100%`. */
export function mirrorsText(views: readonly MirrorView[]): string {
  const parts = views.map((v) => {
    const percent = mirrorPercent(v);
    return `${v.node} ${v.status} ${percent}%`;
  });
  return `disks ${parts.join(", ")}`;
}

/** A mirror's copy as a percentage: 100 once ready (it then only follows the guest's writes). */
export function mirrorPercent(view: MirrorView): number {
  if (view.status === "ready" || view.status === "done") return 100;
  if (view.total <= 0) return 0;
  return Math.min(99, Math.floor((view.current / view.total) * 100));
}

async function requireNodes(client: QmpClient, side: string, wanted: readonly string[]): Promise<void> {
  const nodes = (await client.execute("query-named-block-nodes", { flat: true })) as JsonValue[];
  const names = nodes.filter(isObject).map((n) => String(n["node-name"]));
  const missing = wanted.find((name) => !names.includes(name));
  if (missing !== undefined)
    throw new Error(
      `--storage: the ${side} QEMU has no block node '${missing}' (its nodes: ${names.join(", ") || "none"})`,
    );
}

/** Runs one set-up step; its failure names the step and keeps QEMU's own text. */
async function step(what: string, run: () => Promise<unknown>): Promise<void> {
  try {
    await run();
  } catch (error) {
    throw new Error(`${what} failed: ${(error as Error).message}`);
  }
}

const isObject = (value: JsonValue | undefined): value is JsonObject =>
  typeof value === "object" && value !== null && !Array.isArray(value);
