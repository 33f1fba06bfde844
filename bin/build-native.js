// `npm install` / `npm ci` of this package (its own `install` script): builds the descriptor-passing
// addon (native/fd-passing, Node-API C) with the node-gyp that npm ships. A failed build never fails
// the install: the proxy then runs without descriptor passing and says so at start
// (docs/decisions/0005-descriptor-passing.md).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const addonDir = join(root, "native", "fd-passing");

function nodeGyp() {
  // npm sets this for lifecycle scripts; otherwise look beside the npm that runs us, then next to node.
  const candidates = [
    process.env.npm_config_node_gyp,
    process.env.npm_execpath &&
      join(dirname(process.env.npm_execpath), "..", "node_modules", "node-gyp", "bin", "node-gyp.js"),
    join(
      dirname(process.execPath),
      "..",
      "lib",
      "node_modules",
      "npm",
      "node_modules",
      "node-gyp",
      "bin",
      "node-gyp.js",
    ),
  ];
  return candidates.find((path) => path && existsSync(path));
}

function warn(why) {
  process.stderr.write(
    `\njobshim: WARNING: the descriptor-passing addon was not built (${why}).\n` +
      "jobshim: the proxy still works, but cannot pass file descriptors (getfd, add-fd) over unix sockets.\n" +
      "jobshim: needs a C compiler, make, python3 and Node's headers; rebuild with `node bin/build-native.js`.\n\n",
  );
}

if (process.platform !== "linux") {
  warn(`descriptor passing is implemented for Linux only, not ${process.platform}`);
  process.exit(0);
}
const gyp = nodeGyp();
if (!gyp) {
  warn("node-gyp not found");
  process.exit(0);
}
// Node's own headers when they are installed next to it (a distribution's node): no download needed.
const prefix = join(dirname(process.execPath), "..");
const nodedir = existsSync(join(prefix, "include", "node", "node_api.h")) ? [`--nodedir=${prefix}`] : [];
const result = spawnSync(process.execPath, [gyp, "rebuild", ...nodedir], {
  cwd: addonDir,
  // The addon is C: link with the C compiler, so no C++ compiler is needed (gyp defaults to g++).
  env: { ...process.env, LINK: process.env.LINK ?? "cc" },
  stdio: ["ignore", "ignore", "pipe"],
  encoding: "utf8",
});
if (result.status !== 0) {
  // The cause (compiler or make error) comes before gyp's own closing lines.
  const lines = (result.stderr ?? "").trim().split("\n");
  const cause = lines.filter((line) => !line.startsWith("gyp ")).slice(-5);
  const lastLines = [...cause, ...lines.slice(-2)].join("\n  ");
  warn(`node-gyp exited with ${result.status ?? result.signal}:\n  ${lastLines}`);
  process.exit(0);
}
process.stdout.write("jobshim: built the descriptor-passing addon (native/fd-passing)\n");
