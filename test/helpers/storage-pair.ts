/**
 * Test-only: a migration without shared storage. A source QEMU whose qcow2 disk holds known data
 * (`qemu-io -c 'write -P 0x5a …'`, plus a byte-for-byte copy to check it against later) and a
 * destination QEMU (`-incoming defer`) with an empty disk of the same size that it exports over
 * NBD on a unix socket. Each QEMU has two monitors: `truth`, this helper's own small QMP
 * connection (for query-status and the storage set-up), and `facadeAddress`, left free for the
 * job-facade proxy. `stop()` kills both QEMUs and removes every file, also after a failure.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type QemuInstance, type QmpConnection, startQemu } from "./qemu-process.ts";

export interface StorageVm {
  readonly instance: QemuInstance;
  /** This helper's own monitor: the truth about the VM, independent of the facade. */
  readonly truth: QmpConnection;
  /** A second monitor for the facade proxy, as `unix:PATH`. */
  readonly facadeAddress: string;
  readonly disk: string;
}

export interface StoragePair {
  readonly dir: string;
  readonly source: StorageVm;
  readonly destination: StorageVm;
  /** The source disk as it was before anything ran: what "intact" is compared with. */
  readonly pristine: string;
  readonly migrationUri: string;
  readonly nbdSocket: string;
  /** The node name of the disk in both QEMUs, and the NBD export's name. */
  readonly node: "disk0";
  /** Adds the NBD client node `target` in the source, attached to the destination's export. */
  attachTarget(): Promise<void>;
  /** Starts `blockdev-mirror` of the source disk to `target` (speed in bytes/s, 0 = unlimited). */
  startMirror(jobId: string, speed?: number, autoFinalize?: boolean): Promise<void>;
  /** Runs `qemu-img compare`; true when the images hold the same guest-visible data. */
  sameContent(a: string, b: string): boolean;
  stop(): Promise<void>;
}

const QEMU_IMG = "qemu-img";

/** Why the storage tests cannot run here (no qemu-img / qemu-io), or undefined when they can. */
export function storageToolsMissing(): string | undefined {
  const missing = [QEMU_IMG, "qemu-io"].filter(
    (tool) =>
      !(process.env.PATH ?? "").split(path.delimiter).some((dir) => dir && existsSync(path.join(dir, tool))),
  );
  if (missing.length === 0) return undefined;
  const why = `SKIPPED: ${missing.join(", ")} not on PATH (Debian package qemu-utils); storage transaction tests did not run`;
  if (process.env.REQUIRE_QEMU === "1") throw new Error(`REQUIRE_QEMU=1 but ${why}`);
  return why;
}

export const DISK_MIB = 16;
export const DATA_MIB = 8;

function vmArgs(disk: string, monitor: string, extra: string[]): string[] {
  return [
    ...["-nodefaults", "-display", "none", "-machine", "pc,accel=tcg", "-m", "64"],
    ...["-blockdev", `driver=file,filename=${disk},node-name=file0`],
    ...["-blockdev", "driver=qcow2,file=file0,node-name=disk0"],
    ...["-device", "virtio-blk-pci,drive=disk0,id=vda"],
    ...["-qmp", `unix:${monitor},server=on,wait=off`],
    ...extra,
  ];
}

export async function startStoragePair(): Promise<StoragePair> {
  const dir = mkdtempSync(path.join(tmpdir(), "jobshim-storage-"));
  const vms: QemuInstance[] = [];
  const stop = async () => {
    await Promise.all(vms.map((vm) => vm.stop()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const sourceDisk = path.join(dir, "source.qcow2");
    const destinationDisk = path.join(dir, "destination.qcow2");
    const pristine = path.join(dir, "pristine.qcow2");
    execFileSync(QEMU_IMG, ["create", "-q", "-f", "qcow2", sourceDisk, `${DISK_MIB}M`]);
    execFileSync("qemu-io", ["-f", "qcow2", "-c", `write -P 0x5a 0 ${DATA_MIB}M`, sourceDisk], {
      stdio: "ignore",
    });
    execFileSync(QEMU_IMG, ["create", "-q", "-f", "qcow2", destinationDisk, `${DISK_MIB}M`]);
    copyFileSync(sourceDisk, pristine);
    const sourceMonitor = path.join(dir, "source-facade.sock");
    const destinationMonitor = path.join(dir, "destination-facade.sock");
    const nbdSocket = path.join(dir, "nbd.sock");
    const source = await startQemu({ args: vmArgs(sourceDisk, sourceMonitor, []) });
    vms.push(source);
    const destination = await startQemu({
      args: vmArgs(destinationDisk, destinationMonitor, ["-incoming", "defer"]),
    });
    vms.push(destination);
    await destination.qmp.execute("nbd-server-start", {
      addr: { type: "unix", data: { path: nbdSocket } },
    });
    await destination.qmp.execute("block-export-add", {
      type: "nbd",
      id: "disk0",
      "node-name": "disk0",
      name: "disk0",
      writable: true,
    });
    const vm = (instance: QemuInstance, monitor: string, disk: string): StorageVm => ({
      instance,
      truth: instance.qmp,
      facadeAddress: `unix:${monitor}`,
      disk,
    });
    return {
      dir,
      source: vm(source, sourceMonitor, sourceDisk),
      destination: vm(destination, destinationMonitor, destinationDisk),
      pristine,
      migrationUri: `unix:${path.join(dir, "migration.sock")}`,
      nbdSocket,
      node: "disk0",
      attachTarget: async () => {
        await source.qmp.execute("blockdev-add", {
          driver: "nbd",
          "node-name": "target",
          server: { type: "unix", path: nbdSocket },
          export: "disk0",
        });
      },
      startMirror: async (jobId, speed = 0, autoFinalize = true) => {
        await source.qmp.execute("blockdev-mirror", {
          "job-id": jobId,
          device: "disk0",
          target: "target",
          sync: "full",
          speed,
          // The whole disk fits the default 16 MiB buffer, which is copied before the rate limit
          // is first consulted; a one-cluster buffer makes a limited mirror really slow.
          ...(speed > 0 ? { "buf-size": 65536 } : {}),
          "auto-finalize": autoFinalize,
        });
      },
      sameContent: (a, b) => {
        try {
          execFileSync(QEMU_IMG, ["compare", "-q", a, b], { stdio: "ignore" });
          return true;
        } catch {
          return false;
        }
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
