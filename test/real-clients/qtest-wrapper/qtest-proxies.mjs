// The helper the qtest wrapper (./qemu-system-x86_64) forks for one QEMU: runs `jobshim proxy`
// as a user would (the bin: compiled dist/ when fresh, else the sources through tsx) between
// QEMU's QMP socket and libqtest's, and lives exactly as long as QEMU.
//
//   node qtest-proxies.mjs MODE WORKDIR QEMU_SOCKET DOWNSTREAM QEMU_PID
//
// MODE jobs:             libqtest ← [this pipe] ← jobs proxy ← QEMU
// MODE legacy-over-jobs: libqtest ← [this pipe] ← legacy proxy ← jobs proxy ← QEMU
// libqtest listens on DOWNSTREAM and waits for QEMU to connect, while a proxy only listens; this
// helper connects the two and copies bytes, nothing else (it never parses QMP).
//
// Its end: stdin is a pipe whose only writer is QEMU (inherited across the wrapper's exec), so
// EOF on stdin means QEMU is gone; a watchdog on QEMU_PID covers a QEMU child keeping the pipe
// open. Then it stops the proxies (they also stop by themselves when their upstream closes),
// removes WORKDIR and exits. Everything it does is logged to stderr, which the wrapper points at
// WORKDIR.log for the test to read.
import { spawn } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import net from "node:net";
import path from "node:path";

const [mode, workdir, qemuSocket, downstream, qemuPidText] = process.argv.slice(2);
if (!mode || !workdir || !qemuSocket || !downstream || !qemuPidText) {
  process.stderr.write("usage: qtest-proxies.mjs MODE WORKDIR QEMU_SOCKET DOWNSTREAM QEMU_PID\n");
  process.exit(2);
}
const qemuPid = Number(qemuPidText);
const bin = path.resolve(import.meta.dirname, "../../../bin/jobshim.js");
const t0 = Date.now();
/** @type {import("node:child_process").ChildProcess[]} */
const proxies = [];
/** @type {net.Socket[]} */
const sockets = [];
let ending = false;

function log(message) {
  process.stderr.write(`[helper +${Date.now() - t0}ms] ${message}\n`);
}

/** `jobshim proxy --facade FACADE`; resolves once it listens, rejects if it exits first. */
function startProxy(facade, upstream, listen) {
  const child = spawn(
    process.execPath,
    [bin, "proxy", "--facade", facade, "--upstream", `unix:${upstream}`, "--listen", `unix:${listen}`],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  proxies.push(child);
  return new Promise((resolve, reject) => {
    let pending = "";
    child.stderr.setEncoding("utf8").on("data", (text) => {
      pending += text;
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) {
        process.stderr.write(`[${facade} proxy +${Date.now() - t0}ms] ${line}\n`);
        if (line.includes("listening on")) resolve(child);
      }
    });
    child.once("exit", (code, signal) => {
      if (pending) process.stderr.write(`[${facade} proxy] ${pending}\n`);
      log(`${facade} proxy exited (${signal ?? `code ${code}`})`);
      reject(new Error(`${facade} proxy exited before listening`));
    });
    child.once("error", reject);
  });
}

function connect(socketPath) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath);
    sockets.push(socket);
    socket.once("connect", () => resolve(socket));
    socket.once("error", reject);
  });
}

/** Copies bytes both ways; either side's end ends the other. */
function splice(a, b) {
  a.pipe(b);
  b.pipe(a);
  for (const [from, to] of [
    [a, b],
    [b, a],
  ]) {
    from.on("error", (error) => log(`socket error: ${error.message}`));
    from.on("close", () => to.destroy());
  }
}

function qemuAlive() {
  try {
    // Field 3 of /proc/PID/stat is the state; a zombie has exited but was not reaped yet.
    const stat = readFileSync(`/proc/${qemuPid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

async function end(why) {
  if (ending) return;
  ending = true;
  log(`ending: ${why}`);
  for (const socket of sockets) socket.destroy();
  const exits = proxies
    .filter((child) => child.exitCode === null && child.signalCode === null)
    .map((child) => {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      const force = setTimeout(() => child.kill("SIGKILL"), 3000);
      return exited.then(() => clearTimeout(force));
    });
  await Promise.all(exits);
  rmSync(workdir, { recursive: true, force: true });
  log("ended");
  process.exit(process.exitCode ?? 0);
}

process.stdin.on("data", () => {});
process.stdin.on("end", () => void end("QEMU closed the pipe (QEMU exited)"));
process.stdin.on("error", () => void end("QEMU's pipe failed"));
const watchdog = setInterval(() => {
  if (!qemuAlive()) void end(`QEMU pid ${qemuPid} is gone`);
}, 250);
watchdog.unref();
for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"]) process.on(signal, () => void end(signal));

try {
  log(`mode ${mode}, QEMU pid ${qemuPid}, libqtest QMP socket ${downstream}`);
  const jobsSocket = path.join(workdir, "jobs.sock");
  await startProxy("jobs", qemuSocket, jobsSocket);
  let outer = jobsSocket;
  if (mode === "legacy-over-jobs") {
    outer = path.join(workdir, "legacy.sock");
    await startProxy("legacy", jobsSocket, outer);
  } else if (mode !== "jobs") {
    throw new Error(`unknown mode ${mode}`);
  }
  const [proxySide, qtestSide] = await Promise.all([connect(outer), connect(downstream)]);
  splice(proxySide, qtestSide);
  log("libqtest connected to the proxy");
} catch (error) {
  log(`start failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
  // libqtest waits 50 s for QEMU's QMP connection: connect and close so it fails now instead.
  await connect(downstream)
    .then((socket) => socket.destroy())
    .catch(() => {});
  void end("start failed");
}
