/**
 * The end-to-end truth for the introspection emitter: each QEMU release's own schema, run through
 * our front end (in that release's dialect) and emitter with the config of Debian's x86_64 build,
 * must describe every command and event exactly as that release's real `qemu-system-x86_64`
 * answers `query-qmp-schema`, and equal its whole answer entry for entry.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { QapiDialect } from "../../codegen/dialect.ts";
import { buildIntrospection, emitIntrospection, type SchemaInfo } from "../../codegen/emit-introspection.ts";
import { loadSchema } from "../../codegen/frontend.ts";
import type { IfCondition, Schema } from "../../codegen/ir.ts";
import { projectRoot } from "../helpers/paths.ts";
import { findQemu, type QemuInstance, startQemu } from "../helpers/qemu-process.ts";
import { qemuSchemaFile } from "../helpers/qemu-sources.ts";

type Probe =
  | { targetArch: string[] }
  | { command: string }
  | { event: string }
  | { path: string[]; enumValue?: string; member?: string; variant?: string; feature?: string }
  /** Nothing this binary answers depends on the symbol alone; the test proves it changes nothing. */
  | { unobservable: string };
interface ConfigFixture {
  symbols: Record<string, { defined: boolean; probe: Probe }>;
}

const QEMU_10_0_DEFAULT = "/opt/jobshim/qemu-10.0/bin/qemu-system-x86_64";

interface Release {
  version: QapiDialect;
  binary: string | undefined;
  where: string;
  configFile: string;
}

const releases: Release[] = [
  {
    version: "7.2",
    binary: findQemu(),
    where: "/usr/bin/qemu-system-x86_64 (or $QEMU)",
    configFile: path.join(projectRoot, "test/fixtures/qemu-7.2-debian-x86_64-config.json"),
  },
  {
    version: "10.0",
    binary: [process.env.QEMU_10_0 ?? QEMU_10_0_DEFAULT].find((candidate) => existsSync(candidate)),
    where: `${QEMU_10_0_DEFAULT} (or $QEMU_10_0)`,
    configFile: path.join(projectRoot, "test/fixtures/qemu-10.0-debian-x86_64-config.json"),
  },
];

const requireQemu = process.env.REQUIRE_QEMU === "1";
for (const { version, binary, where } of releases) {
  if (!binary && !requireQemu) {
    console.warn(
      `\n*** SKIPPING introspection-vs-qemu ${version}: no QEMU ${version} binary at ${where}. ***\n` +
        "*** REQUIRE_QEMU=1 turns this skip into a failure. ***\n",
    );
  }
}

describe.each(releases)("introspection vs. real QEMU $version", ({ version, binary, configFile }) => {
  const schemaFile = qemuSchemaFile(version);
  const config = JSON.parse(readFileSync(configFile, "utf8")) as ConfigFixture;
  const isDefined = (symbol: string): boolean => {
    const entry = config.symbols[symbol];
    if (!entry) throw new Error(`config symbol ${symbol} is not decided in ${configFile}`);
    return entry.defined;
  };
  const skip = (!binary || schemaFile === undefined) && !requireQemu;
  let qemu: QemuInstance | undefined;
  let theirs: SchemaInfo[] = [];
  let arch = "";

  beforeAll(async () => {
    if (skip) return;
    if (!binary) throw new Error(`REQUIRE_QEMU=1 but no QEMU ${version} binary was found`);
    qemu = await startQemu({ binary });
    try {
      theirs = (await qemu.qmp.execute("query-qmp-schema")) as SchemaInfo[];
      arch = ((await qemu.qmp.execute("query-target")) as { arch: string }).arch;
    } finally {
      await qemu.stop();
    }
  });

  afterAll(async () => {
    await qemu?.stop();
  });

  it.skipIf(skip)("the config fixture's probes hold for this binary", () => {
    const live = new Introspected(theirs);
    const observable = Object.entries(config.symbols).filter(([, { probe }]) => !("unobservable" in probe));
    const answers = Object.fromEntries(
      observable.map(([symbol, { probe }]) => [symbol, runProbe(probe, live, arch)]),
    );
    const recorded = Object.fromEntries(observable.map(([s, { defined }]) => [s, defined]));
    expect(answers).toEqual(recorded);
  });

  describe("with our schema front end", () => {
    let schema: Schema;
    let ours: SchemaInfo[] = [];

    beforeAll(() => {
      if (skip) return;
      schema = loadSchema(schemaFile ?? "", { dialect: version });
      ours = buildIntrospection(schema, { isDefined }).entries;
    });

    it.skipIf(skip)("the fixture decides every config symbol the schema uses", () => {
      const used = new Set<string>();
      for (const cond of allConditions(schema)) collectSymbols(cond, used);
      expect([...used].filter((s) => !(s in config.symbols))).toEqual([]);
    });

    it.skipIf(skip)("a symbol no probe can observe changes nothing in the introspection", () => {
      const unobservable = Object.entries(config.symbols)
        .filter(([, { probe }]) => "unobservable" in probe)
        .map(([symbol]) => symbol);
      for (const symbol of unobservable) {
        const flipped = (s: string) => (s === symbol ? !isDefined(s) : isDefined(s));
        expect(buildIntrospection(schema, { isDefined: flipped }).entries, symbol).toStrictEqual(ours);
      }
    });

    it.skipIf(skip)("lists the same commands and events", () => {
      const namesOf = (list: SchemaInfo[], meta: string) =>
        list.filter((e) => e["meta-type"] === meta).map((e) => e.name);
      expect(namesOf(ours, "command")).toEqual(namesOf(theirs, "command"));
      expect(namesOf(ours, "event")).toEqual(namesOf(theirs, "event"));
    });

    it.skipIf(skip)("describes every command and event like QEMU does, recursively", () => {
      const comparison = new StructuralComparison(new Introspected(ours), new Introspected(theirs));
      const roots = theirs.filter((e) => e["meta-type"] === "command" || e["meta-type"] === "event");
      for (const root of roots) comparison.compareRoot(root.name);
      console.info(
        `introspection vs. QEMU ${version} ${arch}: ${roots.length} commands/events, ` +
          `${comparison.typePairs} type pairs compared, ${comparison.differences.length} differences`,
      );
      expect(comparison.differences.slice(0, 20)).toEqual([]);
    });

    it.skipIf(skip)(
      "writes QEMU's whole answer to introspection.json, masked numbering and order included",
      () => {
        const json = emitIntrospection(schema, { isDefined }).find((f) => f.path === "introspection.json");
        const written = JSON.parse(json?.content ?? "null") as SchemaInfo[];
        expect(written.length).toBe(theirs.length);
        expect(written).toStrictEqual(theirs);
        // Byte for byte, once object keys are put in one order (QEMU's own key order is a hash order).
        expect(canonicalJson(written) === canonicalJson(theirs)).toBe(true);
      },
    );
  });
});

function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

function* allConditions(schema: Schema): Generator<IfCondition> {
  const withIf = (x: { if: IfCondition | undefined }) => x.if;
  for (const e of schema.entities) {
    const nested: { if: IfCondition | undefined }[] = [...e.features];
    if (e.meta === "enum") for (const m of e.members) nested.push(m, ...m.features);
    if (e.meta === "object") {
      for (const m of e.members) nested.push(m, ...m.features);
      nested.push(...(e.variants?.variants ?? []));
    }
    if (e.meta === "alternate") nested.push(...e.variants);
    for (const cond of [withIf(e), ...nested.map(withIf)]) if (cond !== undefined) yield cond;
  }
}

function collectSymbols(cond: IfCondition, into: Set<string>): void {
  if (typeof cond === "string") into.add(cond);
  else if ("all" in cond) for (const c of cond.all) collectSymbols(c, into);
  else if ("any" in cond) for (const c of cond.any) collectSymbols(c, into);
  else collectSymbols(cond.not, into);
}

/** A `query-qmp-schema` answer indexed by name. */
class Introspected {
  private readonly byName = new Map<string, SchemaInfo>();
  constructor(readonly entries: SchemaInfo[]) {
    for (const e of entries) this.byName.set(e.name, e);
  }
  get(name: string): SchemaInfo {
    const entry = this.byName.get(name);
    if (!entry) throw new Error(`no entry named ${name}`);
    return entry;
  }
  has(name: string): boolean {
    return this.byName.has(name);
  }
}

interface Member {
  name: string;
  type: string;
  default?: null;
  features?: string[];
}
interface Variant {
  case: string;
  type: string;
}

function runProbe(probe: Probe, live: Introspected, arch: string): boolean {
  if ("unobservable" in probe) throw new Error(`no probe can observe this symbol: ${probe.unobservable}`);
  if ("targetArch" in probe) return probe.targetArch.includes(arch);
  if ("command" in probe) return live.has(probe.command);
  if ("event" in probe) return live.has(probe.event);
  const [root, field, ...steps] = probe.path;
  const rootEntry = live.get(String(root));
  let entry = live.get(String(rootEntry[field === "ret" ? "ret-type" : "arg-type"]));
  while (entry["meta-type"] === "array") entry = live.get(String(entry["element-type"]));
  for (const step of steps) entry = walk(entry, step, live);
  if (probe.enumValue !== undefined) return (entry.values as string[]).includes(probe.enumValue);
  if (probe.member !== undefined) return (entry.members as Member[]).some((m) => m.name === probe.member);
  if (probe.feature !== undefined)
    return ((entry.features as string[] | undefined) ?? []).includes(probe.feature);
  return (entry.variants as Variant[]).some((v) => v.case === probe.variant);
}

/** One step of a probe path: a member (arrays entered) or `case:X` into a variant. */
function walk(entry: SchemaInfo, step: string, live: Introspected): SchemaInfo {
  const found = step.startsWith("case:")
    ? (entry.variants as Variant[] | undefined)?.find((v) => v.case === step.slice(5))
    : (entry.members as Member[] | undefined)?.find((m) => m.name === step);
  if (!found) throw new Error(`probe step ${step} not found in ${JSON.stringify(entry).slice(0, 200)}`);
  let next = live.get(found.type);
  while (next["meta-type"] === "array") next = live.get(String(next["element-type"]));
  return next;
}

/**
 * Compares two answers through their (independently) masked names: two names match when the
 * entries they denote match, member by member, recursively. Recursive types terminate because
 * a pair is only compared once.
 */
class StructuralComparison {
  readonly differences: string[] = [];
  private readonly seen = new Set<string>();
  typePairs = 0;

  constructor(
    private readonly ours: Introspected,
    private readonly theirs: Introspected,
  ) {}

  compareRoot(name: string): void {
    const theirs = this.theirs.get(name);
    if (!this.ours.has(name)) {
      this.differences.push(`${name}: missing from ours`);
      return;
    }
    const ours = this.ours.get(name);
    this.same(name, "meta-type", ours["meta-type"], theirs["meta-type"]);
    this.same(name, "features", ours.features, theirs.features);
    this.same(name, "allow-oob", ours["allow-oob"], theirs["allow-oob"]);
    this.compareTypes(`${name}.arg`, ours["arg-type"], theirs["arg-type"]);
    if (theirs["meta-type"] === "command")
      this.compareTypes(`${name}.ret`, ours["ret-type"], theirs["ret-type"]);
  }

  private compareTypes(where: string, ourName: unknown, theirName: unknown): void {
    const key = `${ourName}\u0000${theirName}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.typePairs++;
    const ours = this.ours.get(String(ourName));
    const theirs = this.theirs.get(String(theirName));
    const meta = theirs["meta-type"];
    if (!this.same(where, "meta-type", ours["meta-type"], meta)) return;
    this.same(where, "features", ours.features, theirs.features);
    if (meta === "builtin")
      this.same(where, "builtin", [ours.name, ours["json-type"]], [theirs.name, theirs["json-type"]]);
    if (meta === "enum") {
      this.same(where, "values", ours.values, theirs.values);
      this.same(where, "enum members", ours.members, theirs.members);
    }
    if (meta === "array") this.compareTypes(`${where}[]`, ours["element-type"], theirs["element-type"]);
    if (meta === "alternate") {
      const [a, b] = [ours.members as { type: string }[], theirs.members as { type: string }[]];
      if (this.same(where, "alternative count", a.length, b.length)) {
        for (const [i, m] of a.entries()) this.compareTypes(`${where}|${i}`, m.type, b[i]?.type);
      }
    }
    if (meta === "object") this.compareObjects(where, ours, theirs);
  }

  private compareObjects(where: string, ours: SchemaInfo, theirs: SchemaInfo): void {
    const [a, b] = [ours.members as Member[], theirs.members as Member[]];
    const shape = (ms: Member[]) =>
      ms.map((m) => ({ name: m.name, optional: "default" in m, features: m.features }));
    if (this.same(where, "members", shape(a), shape(b))) {
      for (const [i, m] of a.entries()) this.compareTypes(`${where}.${m.name}`, m.type, b[i]?.type);
    }
    this.same(where, "tag", ours.tag, theirs.tag);
    const [va, vb] = [(ours.variants ?? []) as Variant[], (theirs.variants ?? []) as Variant[]];
    if (
      this.same(
        where,
        "variant cases",
        va.map((v) => v.case),
        vb.map((v) => v.case),
      )
    ) {
      for (const [i, v] of va.entries()) this.compareTypes(`${where}(${v.case})`, v.type, vb[i]?.type);
    }
  }

  private same(where: string, what: string, ours: unknown, theirs: unknown): boolean {
    const equal = JSON.stringify(ours) === JSON.stringify(theirs);
    if (!equal)
      this.differences.push(
        `${where}: ${what} differ: ours ${JSON.stringify(ours)}, QEMU ${JSON.stringify(theirs)}`,
      );
    return equal;
  }
}
