/**
 * What a peer sent just before it went away survives a write that finds it gone: the side that
 * connects reads what the kernel still holds before Node closes the descriptor
 * (keepInputOnWriteFailure). The peer is a child process, so it can write and exit while this
 * process is busy, as a destination QEMU does under load.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { connectTransport } from "../../../src/transports/connect.ts";

/** Accepts one connection; 200 ms after a byte arrives, writes a last message and closes. */
const PEER = `
const net = require("node:net");
const server = net.createServer((socket) => {
  socket.once("data", () =>
    setTimeout(() => {
      socket.end("last words\\n");
      socket.destroySoon();
      server.close();
    }, 200),
  );
});
server.listen(process.argv[1], () => process.stdout.write("ready\\n"));
`;

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

async function startPeer(socketPath: string) {
  const child = spawn(process.execPath, ["-e", PEER, socketPath], { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((resolve) => child.stdout.once("data", () => resolve()));
  return child;
}

/** Blocks this process (no reads) long enough for the peer to write and close. */
function busy(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // deliberately synchronous
  }
}

describe("a client socket whose peer exits", () => {
  it("delivers the peer's last message even when a write from a timer finds the peer gone", async () => {
    dir = mkdtempSync(path.join(tmpdir(), "jobshim-sock-"));
    const socketPath = path.join(dir, "peer.sock");
    const peer = await startPeer(socketPath);
    try {
      const connection = await connectTransport({ kind: "unix", path: socketPath });
      let received = "";
      connection.onData((chunk) => {
        received += chunk.toString();
      });
      const closed = new Promise<void>((resolve) => connection.onClose(() => resolve()));
      connection.write("go\n");
      await new Promise<void>((resolve) =>
        setTimeout(() => {
          busy(800); // meanwhile the peer answers and closes; nothing is read yet
          connection.write("a poll, as the job facade sends every 200 ms\n");
          resolve();
        }, 50),
      );
      await closed;
      expect(received).toBe("last words\n");
    } finally {
      peer.kill();
    }
  });

  it("keeps order and every byte of writes far larger than a socket buffer", async () => {
    dir = mkdtempSync(path.join(tmpdir(), "jobshim-sock-"));
    const socketPath = path.join(dir, "reader.sock");
    let got = "";
    const all = new Promise<void>((resolve) => {
      const server = createServer((peer) => {
        peer.setEncoding("utf8");
        peer.on("data", (text: string) => {
          got += text;
          if (got.endsWith("end\n")) {
            peer.end();
            server.close();
            resolve();
          }
        });
      });
      server.listen(socketPath);
    });
    const connection = await connectTransport({ kind: "unix", path: socketPath });
    // Far more than a socket buffer, with two-byte characters across every split.
    const big = "é".repeat(3_000_000);
    connection.write(big);
    connection.write("then this\n");
    connection.write("end\n");
    await all;
    expect(got.length).toBe(big.length + "then this\nend\n".length);
    expect(got).toBe(`${big}then this\nend\n`);
    connection.close();
  });
});
