import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { emitRegistry } from "../../codegen/emit-registry.ts";
import { GENERATED_NOTICE } from "../../codegen/generated-file.ts";
import type { Schema } from "../../codegen/ir.ts";
import { expectGolden, fixture, qemu, qemuReleases, typecheck } from "./emit-types-helpers.ts";

function registryText(schema: Schema): string {
  const [file] = emitRegistry(schema);
  expect(file?.path).toBe("registry.ts");
  return file?.content ?? "";
}

const tempDirs: string[] = [];
afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

/** Imports the generated module (vitest transpiles it) from a temporary directory. */
async function importRegistry(schema: Schema) {
  const dir = mkdtempSync(join(tmpdir(), "jobshim-registry-"));
  tempDirs.push(dir);
  writeFileSync(join(dir, "registry.ts"), registryText(schema));
  return import(join(dir, "registry.ts"));
}

const FIXTURE_CHECKS = `
import { commandRegistry, eventRegistry, type CommandName, isCommandName } from "./registry.ts";
export const oob: true = commandRegistry.draw.allowOob;
export const answers: false = commandRegistry.reset.successResponse;
export const names: CommandName[] = ["draw", "reset", "place", "query-shapes"];
export const boxed: true = eventRegistry.SHAPED.boxed;
export function lookup(name: string): boolean { return isCommandName(name) && commandRegistry[name].allowPreconfig; }
// @ts-expect-error draw may run out of band
export const notOob: false = commandRegistry.draw.allowOob;
// @ts-expect-error no such command
export const missing = commandRegistry.paint;
`;

describe("emitRegistry on the fixture schema", () => {
  const schema = fixture();

  it("matches the golden file and starts with the generated notice", () => {
    const text = registryText(schema);
    expect(text.split("\n")[0]).toBe(`// ${GENERATED_NOTICE}`);
    expectGolden("registry.ts", text);
  });

  it("records every flag, feature and condition of commands and events", async () => {
    const { commandRegistry, eventRegistry, isCommandName, isEventName } = await importRegistry(schema);
    expect(Object.keys(commandRegistry)).toEqual(["draw", "reset", "place", "query-shapes", "coat"]);
    expect(commandRegistry.draw).toEqual({
      name: "draw",
      allowOob: true,
      successResponse: true,
      allowPreconfig: false,
      coroutine: false,
      boxed: false,
      features: [],
    });
    expect(commandRegistry.reset).toMatchObject({
      successResponse: false,
      allowPreconfig: true,
      coroutine: true,
    });
    expect(commandRegistry.place).toMatchObject({
      boxed: true,
      if: { all: ["CONFIG_A", "CONFIG_B"] },
      features: [{ name: "deprecated" }, { name: "unstable", if: "CONFIG_A" }],
    });
    expect(eventRegistry.MOVED).toEqual({ name: "MOVED", boxed: false, features: [{ name: "deprecated" }] });
    expect(eventRegistry.SHAPED).toEqual({ name: "SHAPED", boxed: true, features: [], if: "CONFIG_SHAPES" });
    expect([
      isCommandName("draw"),
      isCommandName("toString"),
      isEventName("RESET"),
      isEventName("draw"),
    ]).toEqual([true, false, true, false]);
  });

  it("is typed by name (tsc with @ts-expect-error lines)", () => {
    expect(typecheck({ "registry.ts": registryText(schema), "client.ts": FIXTURE_CHECKS })).toBe("");
  });
});

describe.each(qemuReleases)("emitRegistry on QEMU %s's whole schema", (version) => {
  const schema = qemu(version);
  const text = registryText(schema);

  it("lists every command and event with QEMU's flags", async () => {
    const { commandRegistry, eventRegistry } = await importRegistry(schema);
    const count = (meta: string) => schema.entities.filter((e) => e.meta === meta).length;
    expect(Object.keys(commandRegistry).length).toBe(count("command"));
    expect(Object.keys(eventRegistry).length).toBe(count("event"));
    expect(commandRegistry.qmp_capabilities.allowPreconfig).toBe(true);
    expect(commandRegistry["migrate-recover"].allowOob).toBe(true);
    expect(commandRegistry["migrate-pause"].allowOob).toBe(true);
    expect(commandRegistry.block_resize.coroutine).toBe(true);
    expect(commandRegistry.migrate.allowOob).toBe(false);
    expect(commandRegistry["query-sgx"].if).toBe("TARGET_I386");
    expect(commandRegistry["x-query-jit"].features).toEqual([{ name: "unstable" }]);
    expect(eventRegistry.MIGRATION).toEqual({ name: "MIGRATION", boxed: false, features: [] });
  });

  it("type-checks under the project's strict compiler options", () => {
    expect(typecheck({ "registry.ts": text })).toBe("");
  });
});
