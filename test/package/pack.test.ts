/**
 * What `npm pack` would publish, and what a consumer's install pulls in. The pack runs in a copy
 * of the package's sources (its own dist/, the real prepack build), so the checkout's dist/, which
 * the bin may be running from in other tests right now, is never rebuilt underneath them.
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { builtinModules } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { projectRoot } from "../helpers/paths.ts";

/** The runtime's whole dependency closure: what the compiled code imports, and what those import. */
const ALLOWED_RUNTIME_PACKAGES = [
  "ajv",
  "commander",
  "fast-deep-equal",
  "fast-uri",
  "json-schema-traverse",
  "require-from-string",
  "ws",
];

/** What the package's files come from: everything `files` names, plus what `prepack` builds from. */
const PACKAGE_INPUTS = [
  "package.json",
  "package-lock.json",
  "README.md",
  "LICENSE",
  "tsconfig.json",
  "tsconfig.build.json",
  "bin",
  "schema",
  "src",
  "codegen",
  "adapters",
  "cli",
];

interface PackedFile {
  path: string;
  size: number;
}

interface PackageJson {
  bin: Record<string, string>;
  exports: Record<string, string | Record<string, string>>;
  dependencies: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

interface LockEntry {
  version?: string;
  dev?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

const packageJson = JSON.parse(readFileSync(path.join(projectRoot, "package.json"), "utf8")) as PackageJson;
const lock = JSON.parse(readFileSync(path.join(projectRoot, "package-lock.json"), "utf8")) as {
  packages: Record<string, LockEntry>;
};

let copy: string;
let packed: PackedFile[];
let paths: string[];

beforeAll(() => {
  copy = mkdtempSync(path.join(tmpdir(), "jobshim-pack-"));
  for (const input of PACKAGE_INPUTS)
    cpSync(path.join(projectRoot, input), path.join(copy, input), { recursive: true });
  // The build needs typescript; the checkout's node_modules has it (and nothing is written there).
  symlinkSync(path.join(projectRoot, "node_modules"), path.join(copy, "node_modules"), "dir");
  const npm = process.env.npm_execpath;
  const run = npm
    ? spawnSync(process.execPath, [npm, "pack", "--dry-run", "--json"], { cwd: copy, encoding: "utf8" })
    : spawnSync("npm", ["pack", "--dry-run", "--json"], { cwd: copy, encoding: "utf8" });
  if (run.status !== 0) throw new Error(`npm pack failed (${run.status}):\n${run.stderr}`);
  // prepack's own output (the build) may precede the JSON on stdout.
  const json = run.stdout.slice(run.stdout.search(/^\[/m));
  const [report] = JSON.parse(json) as [{ files: PackedFile[] }];
  packed = report.files;
  paths = packed.map((file) => file.path).sort();
}, 180_000);

afterAll(() => {
  if (copy) rmSync(copy, { recursive: true, force: true });
});

describe("the packed file list", () => {
  it("holds only the bin, the compiled dist, the schemas and the package's own documents", () => {
    const outside = paths.filter(
      (file) =>
        !["package.json", "README.md", "LICENSE", "bin/jobshim.js", "bin/dist-stamp.js"].includes(file) &&
        !file.startsWith("dist/") &&
        !file.startsWith("schema/"),
    );
    expect(outside).toEqual([]);
  });

  it("has the license", () => {
    expect(paths).toContain("LICENSE");
    expect(readFileSync(path.join(copy, "LICENSE"), "utf8")).toMatch(
      /^MIT License\n\nCopyright \(c\) \d{4} jobshim contributors\n/,
    );
  });

  it("has every file package.json's bin and exports name", () => {
    const named = [
      ...Object.values(packageJson.bin),
      ...Object.values(packageJson.exports).flatMap((target) =>
        typeof target === "string" ? [target] : Object.values(target),
      ),
    ].map((file) => path.posix.normalize(file));
    expect(named.length).toBeGreaterThan(5);
    for (const file of named) expect(paths).toContain(file);
  });

  it("has the compiled CLI the bin runs, and the schemas", () => {
    expect(paths).toContain("dist/cli/main.js");
    expect(paths).toContain("schema/jobshim.json");
  });

  it("has no build script, no tests and no TypeScript sources", () => {
    expect(paths).not.toContain("bin/build-dist.js");
    expect(paths.filter((file) => /(^|\/)test\/|\.test\.|(?<!\.d)\.ts$/.test(file))).toEqual([]);
  });

  it("ships a source map only with its sources embedded", () => {
    for (const file of paths.filter((name) => name.endsWith(".map"))) {
      const map = JSON.parse(readFileSync(path.join(copy, file), "utf8")) as {
        sources: string[];
        sourcesContent?: (string | null)[];
      };
      expect(map.sourcesContent?.length, file).toBe(map.sources.length);
      expect(map.sourcesContent?.every((content) => typeof content === "string")).toBe(true);
    }
  });
});

describe("the runtime dependencies", () => {
  /** npm's lookup: the nearest node_modules/NAME walking up from the dependent's own folder. */
  function resolveInLock(from: string, name: string): string | undefined {
    let base = from;
    for (;;) {
      const candidate = base === "" ? `node_modules/${name}` : `${base}/node_modules/${name}`;
      if (lock.packages[candidate]) return candidate;
      if (base === "") return undefined;
      const up = base.lastIndexOf("/node_modules/");
      base = up < 0 ? "" : base.slice(0, up);
    }
  }

  /** Every package a production install brings: dependencies, optional ones when locked, required peers. */
  function runtimeClosure(): Set<string> {
    const seen = new Set<string>();
    const visit = (from: string, names: string[]) => {
      for (const name of names) {
        const location = resolveInLock(from, name);
        if (location === undefined || seen.has(location)) continue;
        seen.add(location);
        const entry = lock.packages[location] as LockEntry;
        const requiredPeers = Object.keys(entry.peerDependencies ?? {}).filter(
          (peer) => entry.peerDependenciesMeta?.[peer]?.optional !== true,
        );
        visit(location, [
          ...Object.keys(entry.dependencies ?? {}),
          ...Object.keys(entry.optionalDependencies ?? {}),
          ...requiredPeers,
        ]);
      }
    };
    visit("", Object.keys(packageJson.dependencies));
    return seen;
  }

  it("are exactly the allowed packages, per package.json and the lockfile", () => {
    const names = [...runtimeClosure()].map((location) =>
      location.slice(location.lastIndexOf("node_modules/") + 13),
    );
    expect(names.sort()).toEqual(ALLOWED_RUNTIME_PACKAGES);
  });

  it("leave every other locked package marked dev, so `npm ci --omit=dev` skips it", () => {
    const runtime = runtimeClosure();
    const misplaced = Object.entries(lock.packages)
      .filter(([location, entry]) => location !== "" && !runtime.has(location) && entry.dev !== true)
      .map(([location]) => location);
    expect(misplaced).toEqual([]);
  });

  it("are what the compiled code imports, with json-schema-to-typescript an optional peer", () => {
    const builtins = new Set(builtinModules);
    const imported = new Set<string>();
    for (const file of paths.filter((name) => name.endsWith(".js"))) {
      const source = readFileSync(path.join(copy, file), "utf8");
      for (const { fileName } of ts.preProcessFile(source, true, true).importedFiles) {
        if (fileName.startsWith(".") || fileName.startsWith("node:") || builtins.has(fileName)) continue;
        // The package a specifier names: "@scope/name/sub" → "@scope/name", "name/sub" → "name".
        imported.add(/^(?:@[^/]+\/)?[^/]+/.exec(fileName)?.[0] ?? fileName);
      }
    }
    const optionalPeers = Object.keys(packageJson.peerDependencies ?? {}).filter(
      (peer) => packageJson.peerDependenciesMeta?.[peer]?.optional === true,
    );
    expect(optionalPeers).toEqual(["json-schema-to-typescript"]);
    // tsx is imported by bin/jobshim.js only in a source checkout, where it is a devDependency.
    imported.delete("tsx");
    expect([...imported].sort()).toEqual([...Object.keys(packageJson.dependencies), ...optionalPeers].sort());
  });
});

describe("the packed package, installed with its runtime dependencies only", () => {
  let installed: string;

  beforeAll(() => {
    installed = mkdtempSync(path.join(tmpdir(), "jobshim-installed-"));
    for (const file of paths) {
      mkdirSync(path.dirname(path.join(installed, file)), { recursive: true });
      cpSync(path.join(copy, file), path.join(installed, file));
    }
    // No tsx, no json-schema-to-typescript, no typescript: a consumer's production install.
    mkdirSync(path.join(installed, "node_modules"));
    for (const name of ALLOWED_RUNTIME_PACKAGES)
      symlinkSync(
        path.join(projectRoot, "node_modules", name),
        path.join(installed, "node_modules", name),
        "dir",
      );
  });

  afterAll(() => {
    if (installed) rmSync(installed, { recursive: true, force: true });
  });

  const jobshim = (args: string[]) =>
    spawnSync(process.execPath, [path.join(installed, "bin/jobshim.js"), ...args], {
      cwd: installed,
      encoding: "utf8",
    });

  it("runs the compiled CLI", () => {
    const run = jobshim(["schema", "check", "schema/jobshim.json"]);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
  });

  it("generates code with the default engine, and names the missing package for the other", () => {
    const out = path.join(installed, "generated");
    const direct = jobshim(["codegen", "--schema", "schema/jobshim.json", "--out", out]);
    expect(direct.status).toBe(0);
    expect(existsSync(path.join(out, "types.ts"))).toBe(true);
    const engine = ["--types-engine", "json-schema-to-typescript"];
    const missing = jobshim(["codegen", "--schema", "schema/jobshim.json", "--out", `${out}-2`, ...engine]);
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toContain("npm install json-schema-to-typescript@16");
  });
});
