import { existsSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { findQemu, type QemuInstance, QmpError, startQemu } from "./qemu-process.ts";

const binary = findQemu();
if (!binary)
  console.warn("\n*** SKIPPING qemu-process helper tests: no qemu-system-x86_64 (set $QEMU). ***\n");

describe.skipIf(!binary)("qemu-process helper", () => {
  const started: QemuInstance[] = [];
  afterAll(async () => {
    for (const q of started) await q.stop();
  });

  it("negotiates, runs commands, reports QMP errors and cleans up after itself", async () => {
    const qemu = await startQemu();
    started.push(qemu);
    expect(qemu.qmp.greeting).toHaveProperty("QMP.version.qemu.major");
    expect(await qemu.qmp.execute("query-status")).toMatchObject({ status: expect.any(String) });
    const error = await qemu.qmp.execute("no-such-command").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QmpError);
    expect(error).toMatchObject({ errorClass: "CommandNotFound" });
    const socketDir = path.dirname(qemu.socketPath);
    expect(existsSync(socketDir)).toBe(true);
    await qemu.stop();
    await qemu.stop();
    expect(qemu.process.exitCode ?? qemu.process.signalCode).not.toBeNull();
    expect(existsSync(socketDir)).toBe(false);
    await expect(qemu.qmp.execute("query-status")).rejects.toThrow();
  });

  it("fails fast with QEMU's own complaint when QEMU cannot start", async () => {
    await expect(startQemu({ args: ["-machine", "no-such-machine"] })).rejects.toThrow(
      /unsupported machine type/,
    );
  });
});
