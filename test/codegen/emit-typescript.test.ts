import { describe, expect, it } from "vitest";
import { emitTypeScript, type TypeScriptOptions } from "../../codegen/emit-typescript.ts";
import { GENERATED_NOTICE } from "../../codegen/generated-file.ts";
import type { Schema } from "../../codegen/ir.ts";
import { renderDeclarations } from "../../codegen/typescript-declarations.ts";
import { expectGolden, fixture, qemu, qemuReleases, typecheck } from "./emit-types-helpers.ts";

async function emitTypes(schema: Schema, options: TypeScriptOptions = {}): Promise<string> {
  const [file] = await emitTypeScript(schema, options);
  expect(file?.path).toBe("types.ts");
  return file?.content ?? "";
}

/** Names of every exported type declaration. */
function declaredNames(types: string): Set<string> {
  return new Set(
    [...types.matchAll(/^export (?:type|interface) ([A-Za-z0-9_$]+)/gm)].map((m) => m[1] as string),
  );
}

/** A client typed by the maps; every `@ts-expect-error` must meet an error, or tsc reports it. */
const CLIENT = `
import type { QmpCommands, QmpEvents } from "./types.ts";
export declare function execute<K extends keyof QmpCommands>(name: K, args: QmpCommands[K]["args"]): QmpCommands[K]["ret"];
export declare function on<K extends keyof QmpEvents>(name: K, handler: (data: QmpEvents[K]) => void): void;
`;

const FIXTURE_CHECKS = `${CLIENT}
import type { Colour, Point, Shape } from "./types.ts";
const points: Point[] = execute("draw", { shape: { id: "s", colour: "red", shade: 1 }, size: "green" });
execute("reset", {});
export const shade = (s: Shape): number => (s.colour === "red" ? s.shade : s.colour === "green" ? Number(s.leaf) : 0);
on("MOVED", (data) => data.to.x + (data.when ?? 0));
// @ts-expect-error a red shape needs its shade
execute("draw", { shape: { id: "s", colour: "red" } });
// @ts-expect-error a green shape has no shade
execute("draw", { shape: { id: "s", colour: "green", leaf: true, shade: 2 } });
// @ts-expect-error size is an int, a Colour, a Point or null
execute("draw", { shape: { id: "s", colour: "blue" }, size: true });
// @ts-expect-error reset takes no arguments
execute("reset", { force: true });
// @ts-expect-error no such command
execute("paint", {});
// @ts-expect-error not a Colour
export const c: Colour = "purple";
declare const pt: Point;
export const p: Point = { ...pt, z: 1 };
// @ts-expect-error a Point has no member z2
export const q: Point = { ...pt, z2: 1 };
export const first: Point | undefined = points[0];
`;

const QEMU_CHECKS = `${CLIENT}
import type { JobInfo, JobStatus, MigrationInfo, MigrationStatus } from "./types.ts";
export const jobs: JobInfo[] = execute("query-jobs", {});
export const info: MigrationInfo = execute("query-migrate", {});
export const status: MigrationStatus | undefined = info.status;
execute("migrate", { uri: "unix:/tmp/m.sock", detach: true });
execute("job-cancel", { id: "m0" });
on("JOB_STATUS_CHANGE", (data) => { const s: JobStatus = data.status; return [data.id, s]; });
// @ts-expect-error uri is a string
execute("migrate", { uri: 1 });
// @ts-expect-error migrate in 7.2 has no channels
execute("migrate", { uri: "unix:/tmp/m.sock", channels: [] });
// @ts-expect-error job-cancel needs the job id
execute("job-cancel", {});
// @ts-expect-error query-jobs takes no arguments
execute("query-jobs", { id: "m0" });
// @ts-expect-error no such command in 7.2
execute("job-change", { id: "m0" });
// @ts-expect-error not a 7.2 MigrationStatus
export const later: MigrationStatus = "postcopy-recover-setup";
declare const job: JobInfo;
export const fine: JobInfo = { ...job, status: "concluded", error: "Operation canceled" };
// @ts-expect-error JobInfo's status is a JobStatus, not a number
export const broken: JobInfo = { ...job, status: 3 };
export const first: JobInfo | undefined = jobs[0];
`;

describe("emitTypeScript on the fixture schema", () => {
  const schema = fixture();

  it("matches the golden file and starts with the generated notice", async () => {
    const types = await emitTypes(schema);
    expect(types.split("\n")[0]).toBe(`// ${GENERATED_NOTICE}`);
    expectGolden("types.ts", types);
  });

  it("keeps QAPI type names and writes built-ins and arrays inline", async () => {
    const types = await emitTypes(schema);
    const names = declaredNames(types);
    for (const name of ["Colour", "Base", "Point", "Red", "Green", "Shape", "Size"])
      expect(names).toContain(name);
    for (const name of ["Str", "Int", "Uint8", "PointList", "JobshimQapiRoot"])
      expect(names).not.toContain(name);
    expect(types).toContain(`"draw": { args: QObjDrawArg; ret: Point[] };`);
    expect(types).toContain(`"RESET": Record<string, never>;`);
  });

  it("types a client end to end (tsc with @ts-expect-error lines)", async () => {
    expect(typecheck({ "types.ts": await emitTypes(schema), "client.ts": FIXTURE_CHECKS })).toBe("");
  });

  it("the direct engine writes the very same bytes as json-schema-to-typescript", async () => {
    expect(await emitTypes(schema, { engine: "direct" })).toBe(await emitTypes(schema));
  });

  it("a union branch that is itself a union stays flat: both tags and all members", async () => {
    const types = await emitTypes(schema);
    const coat = `${CLIENT}
import type { Coat } from "./types.ts";
export const c: Coat = execute("coat", { colour: "red", finish: "gloss", level: 3, coats: 2 });
execute("coat", { colour: "blue" });
// @ts-expect-error a glossy red coat needs its level
execute("coat", { colour: "red", finish: "gloss" });
`;
    expect(typecheck({ "types.ts": types, "client.ts": coat })).toBe("");
  });

  it("the direct engine refuses names it would have to make up, rather than differ", () => {
    const object = { type: "object", properties: {} };
    expect(() => renderDeclarations({ "q_obj_a-b-arg": object, "q_obj_a_b-arg": object })).toThrow(
      /'q_obj_a-b-arg' and 'q_obj_a_b-arg' both become TypeScript 'QObjABArg'/,
    );
  });

  it("the type checks can fail: a wrong expectation is reported", async () => {
    const wrong = `${CLIENT}\n// @ts-expect-error\nexecute("reset", {});\n`;
    expect(typecheck({ "types.ts": await emitTypes(schema), "client.ts": wrong })).toMatch(/TS2578/);
  });
});

/** Runs the emitter once and logs its wall and CPU time. */
async function timed(schema: Schema, options: TypeScriptOptions): Promise<string> {
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const types = await emitTypes(schema, options);
  const cpu = process.cpuUsage(cpuBefore);
  console.log(
    `types.ts for QEMU: ${types.length} bytes; engine ${options.engine ?? "json-schema-to-typescript"} took ` +
      `${(performance.now() - started).toFixed(0)} ms wall, ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms CPU`,
  );
  return types;
}

describe.each(qemuReleases)("emitTypeScript on QEMU %s's whole schema", async (version) => {
  const schema = qemu(version);
  const types = await timed(schema, {});
  const direct = await timed(schema, { engine: "direct" });

  it("the direct engine writes the very same bytes as json-schema-to-typescript", () => {
    expect(direct).toBe(types);
  });

  it("declares every named QAPI type under its own name", () => {
    const names = declaredNames(types);
    const missing = schema.entities.filter(
      (e) =>
        (e.meta === "enum" || e.meta === "alternate" || (e.meta === "object" && !e.implicit)) &&
        !names.has(e.name),
    );
    expect(missing.map((e) => e.name)).toEqual([]);
    expect(names).toContain("MigrationInfo");
    expect(names).toContain("JobStatus");
  });

  it("maps every command and event", () => {
    const commands = schema.entities.filter((e) => e.meta === "command");
    const events = schema.entities.filter((e) => e.meta === "event");
    const body = (map: string) =>
      types.slice(types.indexOf(`export interface ${map} {`)).split("\n}")[0] ?? "";
    // One entry line each; the JSDoc lines between them carry the docs.
    const entries = (map: string) =>
      body(map)
        .split("\n")
        .filter((line) => /^ {2}"/.test(line)).length;
    expect(entries("QmpCommands")).toBe(commands.length);
    expect(entries("QmpEvents")).toBe(events.length);
    expect(types).toContain(`"query-jobs": { args: Record<string, never>; ret: JobInfo[] };`);
    expect(types).toContain(`"JOB_STATUS_CHANGE": QObj_JOB_STATUS_CHANGEArg;`);
  });

  // The client checks use 7.2's API (and what it lacks); every release's types must compile.
  if (version === "7.2") {
    it("is accepted by tsc with the project's strict options, and types a client", () => {
      expect(typecheck({ "types.ts": types, "client.ts": QEMU_CHECKS })).toBe("");
    });
  } else {
    it("is accepted by tsc with the project's strict options", () => {
      expect(typecheck({ "types.ts": types })).toBe("");
    });
  }

  it("is deterministic", async () => {
    expect(await emitTypes(schema)).toBe(types);
  });
});
