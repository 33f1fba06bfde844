/**
 * Test-only: one real QEMU serving QMP on a unix socket, a TCP port and a WebSocket port at
 * once, so each transport can be tested against the same truth. Ports come from the kernel
 * (listen on 0, close, hand to QEMU) and a clash is retried. `stop()` always kills QEMU and
 * removes its directory. Reuses engineer D's binary lookup.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { findQemu } from "./qemu-process.ts";

export { findQemu };

export interface QemuMonitors {
  unix: string;
  tcp: string;
  ws: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** `REQUIRE_QEMU=1` turns a missing binary into a failure instead of a loud skip. */
export function qemuOrSkipReason(): { binary?: string; skipReason?: string } {
  const binary = findQemu();
  if (binary) return { binary };
  if (process.env.REQUIRE_QEMU === "1") throw new Error("REQUIRE_QEMU=1 but no qemu-system-x86_64 found");
  return { skipReason: "SKIPPED: no qemu-system-x86_64 (set QEMU=PATH); real-QEMU QMP tests did not run" };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

function canConnect(options: { path: string } | { host: string; port: number }): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(options as never);
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

async function waitFor(check: () => Promise<boolean>, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`QEMU exited early with status ${child.exitCode}`);
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("QEMU did not open its QMP sockets in time");
}

async function startOnce(binary: string, extraArgs: string[]): Promise<QemuMonitors> {
  const dir = mkdtempSync(path.join(tmpdir(), "jobshim-qmp-"));
  const unix = path.join(dir, "qmp.sock");
  const [tcpPort, wsPort] = [await freePort(), await freePort()];
  const args = [
    ...["-nodefaults", "-display", "none", "-machine", "pc,accel=tcg", "-m", "128"],
    ...["-chardev", `socket,id=mon0,path=${unix},server=on,wait=off`, "-mon", "chardev=mon0,mode=control"],
    ...["-chardev", `socket,id=mon1,host=127.0.0.1,port=${tcpPort},server=on,wait=off`],
    ...["-mon", "chardev=mon1,mode=control"],
    ...["-chardev", `socket,id=ws0,host=127.0.0.1,port=${wsPort},server=on,wait=off,websocket=on`],
    ...["-mon", "chardev=ws0,mode=control"],
    ...extraArgs,
  ];
  const child = spawn(binary, args, { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (text: string) => {
    stderr += text;
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGKILL");
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      async () =>
        (await canConnect({ path: unix })) &&
        (await canConnect({ host: "127.0.0.1", port: tcpPort })) &&
        (await canConnect({ host: "127.0.0.1", port: wsPort })),
      child,
      15_000,
    );
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\n${stderr}`);
  }
  return {
    unix: `unix:${unix}`,
    tcp: `tcp:127.0.0.1:${tcpPort}`,
    ws: `ws://127.0.0.1:${wsPort}`,
    process: child,
    stop,
  };
}

/** Starts QEMU; retries with new ports when another test grabbed one in between. */
export async function startQemuMonitors(binary: string, extraArgs: string[] = []): Promise<QemuMonitors> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(binary, extraArgs);
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}
