/**
 * The legacy view of a job API's schema: a legacy facade proxy put over the job API at
 * `address` for one check, on a second connection, then closed with its socket directory.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { checkServedSchema, type SchemaCheck } from "../introspection/check-served-schema.ts";
import { createLegacyFacadeProxy } from "../proxy.ts";

export async function checkLegacyOver(address: string): Promise<SchemaCheck> {
  const dir = mkdtempSync(path.join(tmpdir(), "jobshim-schema-"));
  try {
    const listen = `unix:${path.join(dir, "legacy.sock")}`;
    const proxy = await createLegacyFacadeProxy({ upstream: address, listen: [listen] });
    try {
      return await checkServedSchema(listen, "legacy");
    } finally {
      await proxy.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
