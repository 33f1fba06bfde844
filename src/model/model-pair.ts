/**
 * A source model and a destination model (`-incoming defer`) ready to migrate to each other
 * over a private link registry, the model's counterpart of adapters/qemu-pair.ts.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { MigrationLinks } from "./migration-link.ts";
import { QemuModel, type QemuModelOptions } from "./qemu-model.ts";

export interface ModelPair {
  readonly source: QemuModel;
  readonly destination: QemuModel;
  /** The URI the destination should listen on (`migrate-incoming`). */
  readonly migrationUri: string;
  readonly dir: string;
  stop(): Promise<void>;
}

export type ModelPairOptions = Omit<QemuModelOptions, "role" | "listen" | "links">;

export async function startModelPair(options: ModelPairOptions = {}): Promise<ModelPair> {
  const dir = mkdtempSync(path.join(tmpdir(), "jobshim-model-pair-"));
  const links = new MigrationLinks();
  const models: QemuModel[] = [];
  // Sockets must not outlive the process, even one that exits without calling stop.
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  process.once("exit", removeDir);
  const stop = async () => {
    await Promise.all(models.map((m) => m.close()));
    process.off("exit", removeDir);
    removeDir();
  };
  try {
    for (const role of ["source", "destination"] as const) {
      const model = new QemuModel({ ...options, role, links });
      models.push(model);
      await model.serve(`unix:${path.join(dir, `${role}.qmp`)}`);
    }
    const [source, destination] = models as [QemuModel, QemuModel];
    return { source, destination, migrationUri: `unix:${path.join(dir, "migration.sock")}`, dir, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
