/**
 * Every code example in the README and in docs/guide/ runs here, so the docs cannot drift from
 * the code. A fenced block's info string says what it is:
 *
 *   ```ts runnable        type-checked against the project (`jobshim`, `jobshim/adapters` and
 *                         `jobshim/codegen` mapped to their sources), then run with the embedded
 *                         QEMU 7.2 model's addresses as arguments: source QMP, destination QMP
 *                         (`-incoming defer`), migration URI.
 *   ```sh runnable        run by bash in the project root; must exit 0. `runnable with-qemu`:
 *                         the same where qemu-system-x86_64 is installed (a loud skip elsewhere,
 *                         a failure under REQUIRE_QEMU=1).
 *   ```sh walkthrough     commands a user types in turn, some left running (`&`): run one by one
 *                         against real QEMU; each waits for the unix sockets it names.
 *   ```LANG not-run: WHY  not run, for the reason given (the test demands one).
 *
 * In shell examples `npx jobshim` runs this checkout's bin and `/tmp/` becomes a private
 * directory, so parallel runs never share a socket.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startModelPair } from "../../src/model/index.ts";
import { projectRoot } from "../helpers/paths.ts";
import { qemuOrSkipReason } from "../helpers/qemu-qmp-process.ts";

interface CodeBlock {
  /** FILE:LINE of the opening fence. */
  where: string;
  lang: string;
  meta: string;
  code: string;
}

/** Languages whose blocks are examples a reader would run; other blocks (json, text) are data. */
const EXAMPLE_LANGUAGES = new Set(["ts", "typescript", "js", "sh", "bash", "shell", "console"]);

const DOCUMENTS = [
  "README.md",
  ...readdirSync(path.join(projectRoot, "docs/guide"))
    .filter((name) => name.endsWith(".md"))
    .sort()
    .map((name) => `docs/guide/${name}`),
];

function codeBlocks(file: string): CodeBlock[] {
  const lines = readFileSync(path.join(projectRoot, file), "utf8").split("\n");
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S+)\s*(.*)$/.exec(lines[i] ?? "");
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && lines[i] !== "```"; i++) body.push(lines[i] ?? "");
    blocks.push({
      where: `${file}:${start + 1}`,
      lang: open[1] ?? "",
      meta: open[2] ?? "",
      code: body.join("\n"),
    });
  }
  return blocks;
}

const blocks = DOCUMENTS.flatMap(codeBlocks);
const examples = blocks.filter((block) => EXAMPLE_LANGUAGES.has(block.lang));
const runnableTs = examples.filter((block) => block.lang === "ts" && block.meta === "runnable");
const runnableSh = examples.filter(
  (block) => block.lang === "sh" && /^runnable( with-qemu)?$/.test(block.meta),
);
const walkthroughs = examples.filter((block) => block.lang === "sh" && block.meta === "walkthrough");

/** The shell a reader types, made to run here: this checkout's bin, a private /tmp. */
function localShell(code: string, privateTmp: string): string {
  return code
    .replaceAll(
      "npx jobshim",
      `${JSON.stringify(process.execPath)} ${path.join(projectRoot, "bin/jobshim.js")}`,
    )
    .replaceAll("/tmp/", `${privateTmp}/`);
}

describe("the docs' code blocks", () => {
  it("are found in the README and every guide", () => {
    expect(DOCUMENTS).toEqual(
      expect.arrayContaining([
        "README.md",
        "docs/guide/conformance.md",
        "docs/guide/library.md",
        "docs/guide/proxy.md",
      ]),
    );
    for (const file of DOCUMENTS)
      expect(
        examples.some((block) => block.where.startsWith(`${file}:`)),
        file,
      ).toBe(true);
    expect(runnableTs.length).toBeGreaterThanOrEqual(4);
    expect(walkthroughs.length).toBe(1);
  });

  it("each say whether they run, or why not", () => {
    const unmarked = examples
      .filter(
        (block) =>
          !(
            (block.meta === "runnable" && ["ts", "sh"].includes(block.lang)) ||
            (block.meta === "runnable with-qemu" && block.lang === "sh") ||
            (block.meta === "walkthrough" && block.lang === "sh") ||
            /^not-run: \S.{10,}/.test(block.meta)
          ),
      )
      .map((block) => `${block.where}: \`\`\`${block.lang} ${block.meta}`);
    expect(unmarked).toEqual([]);
  });
});

describe("TypeScript examples", () => {
  let dir: string;
  const fileOf = (index: number) => path.join(dir, `example-${index}.mts`);

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), "jobshim-docs-examples-"));
    runnableTs.forEach((block, index) => {
      writeFileSync(fileOf(index), `// ${block.where}\n${block.code}\n`);
    });
    // What a user's `import ... from "jobshim"` resolves to, pointed at this checkout's sources.
    const tsconfig = {
      extends: path.join(projectRoot, "tsconfig.json"),
      compilerOptions: {
        noEmit: true,
        typeRoots: [path.join(projectRoot, "node_modules/@types")],
        paths: {
          jobshim: [path.join(projectRoot, "src/index.ts")],
          "jobshim/adapters": [path.join(projectRoot, "adapters/index.ts")],
          "jobshim/codegen": [path.join(projectRoot, "codegen/index.ts")],
        },
      },
      include: [],
      files: runnableTs.map((_, index) => fileOf(index)),
    };
    writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify(tsconfig, null, 2));
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("type-check against the project under its strict settings", () => {
    const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
    const run = spawnSync(process.execPath, [tsc, "-p", path.join(dir, "tsconfig.json")], {
      encoding: "utf8",
    });
    expect(run.stdout + run.stderr).toBe("");
    expect(run.status).toBe(0);
  }, 120_000);

  const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx/esm")).href;

  it.each(runnableTs.map((block, index) => [block.where, index] as const))(
    "%s runs against the embedded QEMU 7.2 model",
    async (_where, index) => {
      const pair = await startModelPair();
      try {
        const args = [
          `unix:${path.join(pair.dir, "source.qmp")}`,
          `unix:${path.join(pair.dir, "destination.qmp")}`,
          pair.migrationUri,
        ];
        const run = await runProcess(process.execPath, ["--import", tsx, fileOf(index), ...args], {
          cwd: dir,
          env: { ...process.env, TSX_TSCONFIG_PATH: path.join(dir, "tsconfig.json") },
        });
        expect(run.stderr).toBe("");
        expect(run.status).toBe(0);
        expect(run.stdout).not.toBe("");
      } finally {
        await pair.stop();
      }
    },
    60_000,
  );
});

const qemu = qemuOrSkipReason();
if (qemu.skipReason)
  console.warn(`\n*** ${qemu.skipReason}: the docs' examples that need QEMU did not run ***\n`);

describe("shell examples", () => {
  it.each(runnableSh.map((block) => [block.where, block] as const))(
    "%s exits 0",
    async (where, block) => {
      if (block.meta.endsWith("with-qemu") && qemu.skipReason)
        return console.warn(`${where}: ${qemu.skipReason}`);
      const privateTmp = mkdtempSync(path.join(tmpdir(), "jobshim-docs-sh-"));
      try {
        const run = await runProcess("bash", ["-euo", "pipefail", "-c", localShell(block.code, privateTmp)], {
          cwd: projectRoot,
          env: process.env,
        });
        expect(run.stderr, run.stdout).not.toMatch(/error/i);
        expect(run.status, run.stderr).toBe(0);
      } finally {
        rmSync(privateTmp, { recursive: true, force: true });
      }
    },
    120_000,
  );
});

describe.skipIf(qemu.skipReason !== undefined)("the proxy walkthrough", () => {
  it.each(walkthroughs.map((block) => [block.where, block] as const))(
    "%s: QEMU, the proxy, then a client through it",
    async (_where, block) => {
      const privateTmp = mkdtempSync(path.join(tmpdir(), "jobshim-walkthrough-"));
      const running: ChildProcess[] = [];
      try {
        const steps = block.code
          .split("\n")
          .map((line) => line.replace(/\s+#.*$/, "").trim())
          .filter((line) => line !== "" && !line.startsWith("#"));
        expect(steps.length).toBe(3);
        let last: ProcessResult | undefined;
        for (const step of steps) {
          const command = localShell(step, privateTmp).replace(/^qemu-system-x86_64\b/, qemu.binary ?? "");
          // A step waits for the sockets it connects to (not those it serves), as a reader
          // waits for the previous terminal to be up.
          for (const [, listen, socket, server] of command.matchAll(
            /(--listen\s+)?unix:([^\s,]+)(,server=on)?/g,
          ))
            if (!listen && !server) await waitForFile(socket ?? "", 20_000);
          if (command.endsWith("&")) {
            const child = spawn("bash", ["-c", `exec ${command.slice(0, -1)}`], { stdio: "ignore" });
            running.push(child);
          } else {
            last = await runProcess("bash", ["-c", command], { cwd: projectRoot, env: process.env });
          }
        }
        expect(last?.stderr).toBe("");
        expect(last?.status).toBe(0);
        expect(JSON.parse(last?.stdout ?? "")).toEqual([]);
      } finally {
        for (const child of running.reverse()) {
          child.kill("SIGTERM");
          if (child.exitCode === null) await new Promise((resolve) => child.once("exit", resolve));
        }
        rmSync(privateTmp, { recursive: true, force: true });
      }
    },
    60_000,
  );
});

interface ProcessResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs to the end without blocking the test process (the model pair serves from it). */
function runProcess(
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    child.once("error", reject);
    child.once("close", (status) => resolve({ status, stdout, stderr }));
  });
}

async function waitForFile(file: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(file)) {
    if (Date.now() > deadline) throw new Error(`${file} did not appear within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
