/**
 * Descriptors (SCM_RIGHTS) on a unix listener reach the handler of exactly the command whose
 * bytes carried them, however the client groups its writes, and are closed once the command is
 * answered or refused, or when the client leaves. A QmpServer in this process: a `probe` handler
 * answers with the inode of each descriptor it got, so each answer names the files it was given.
 */
import { closeSync, fstatSync, mkdtempSync, openSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { QmpClient } from "../../../src/qmp/client.ts";
import { QmpError } from "../../../src/qmp/qmp-error.ts";
import { QmpServer } from "../../../src/qmp/server.ts";
import { fdPassingSkipReason, openDescriptorCount, RawQmpSocket } from "../../helpers/scm-rights.ts";

const skipReason = fdPassingSkipReason();
if (skipReason) console.warn(`\n*** ${skipReason} ***\n`);

let dir: string;
let server: QmpServer;
let socketPath: string;
/** Open descriptors of three files; their inodes identify them in the answers. */
const files: { fd: number; inode: number }[] = [];
let held: number[] = [];

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "jobshim-fds-"));
  for (const name of ["a", "b", "c"]) {
    const file = path.join(dir, name);
    writeFileSync(file, name);
    const fd = openSync(file, "r");
    files.push({ fd, inode: fstatSync(fd).ino });
  }
  server = new QmpServer({
    handlers: {
      probe: (_args, context) => ({ inodes: (context.descriptors ?? []).map((fd) => fstatSync(fd).ino) }),
      // Answers only when told: its descriptors are held while it runs.
      hold: (_args, context) => {
        held = [...(context.descriptors ?? [])];
        return new Promise((resolve) => setTimeout(() => resolve({}), 200));
      },
    },
  });
  socketPath = path.join(dir, "qmp.sock");
  await server.listen(`unix:${socketPath}`);
});

afterAll(async () => {
  await server?.close();
  for (const { fd } of files) closeSync(fd);
  rmSync(dir, { recursive: true, force: true });
});

const inode = (index: number) => (files[index] as { inode: number }).inode;
const fd = (index: number) => (files[index] as { fd: number }).fd;

/** The count once earlier tests' connections have finished closing (unchanged for 150 ms). */
async function quietCount(): Promise<number> {
  let last = openDescriptorCount();
  for (let i = 0; i < 40; i++) {
    await new Promise((r) => setTimeout(r, 150));
    const now = openDescriptorCount();
    if (now === last) return now;
    last = now;
  }
  return last;
}

/** Waits until the server has closed what it should: closes are synchronous, replies are not. */
async function settledCount(expected: number): Promise<number> {
  for (let i = 0; i < 40 && openDescriptorCount() !== expected; i++)
    await new Promise((r) => setTimeout(r, 25));
  return openDescriptorCount();
}

describe.skipIf(skipReason !== undefined)("descriptors on a unix listener", () => {
  it("the library client sends copies with the command; the caller's stay open", async () => {
    const client = await QmpClient.connect(`unix:${socketPath}`);
    try {
      expect(client.carriesDescriptors).toBe(true);
      expect(await client.execute("probe", {}, { descriptors: [fd(0), fd(1)] })).toEqual({
        inodes: [inode(0), inode(1)],
      });
      expect(await client.execute("probe")).toEqual({ inodes: [] });
      expect(fstatSync(fd(0)).ino).toBe(inode(0));
    } finally {
      await client.close();
    }
  });

  it("pipelined commands each get the descriptors that came with their own bytes", async () => {
    const raw = await RawQmpSocket.negotiated(socketPath);
    try {
      raw.send('{"execute":"probe","id":1}\n');
      raw.send('{"execute":"probe","id":2}\n', [fd(0)]);
      raw.send('{"execute":"probe","id":3}\n', [fd(1), fd(2)]);
      raw.send('{"execute":"probe","id":4}\n');
      raw.send('{"execute":"probe","id":5}\n{"execute":"probe","id":6}\n', [fd(2)]);
      const replies = [];
      for (let i = 0; i < 6; i++) replies.push(await raw.reply());
      expect(replies).toEqual([
        { return: { inodes: [] }, id: 1 },
        { return: { inodes: [inode(0)] }, id: 2 },
        { return: { inodes: [inode(1), inode(2)] }, id: 3 },
        { return: { inodes: [] }, id: 4 },
        // Two commands in one write: the descriptors came with the bytes that end it.
        { return: { inodes: [] }, id: 5 },
        { return: { inodes: [inode(2)] }, id: 6 },
      ]);
    } finally {
      await raw.close();
    }
  });

  it("descriptors sent with the first part of a command belong to that command", async () => {
    const raw = await RawQmpSocket.negotiated(socketPath);
    try {
      raw.send('{"execute":"probe","id":1}\n{"execute":"pro', [fd(1)]);
      await new Promise((resolve) => setTimeout(resolve, 50));
      raw.send('be","id":2}\n');
      expect(await raw.reply()).toEqual({ return: { inodes: [] }, id: 1 });
      expect(await raw.reply()).toEqual({ return: { inodes: [inode(1)] }, id: 2 });
    } finally {
      await raw.close();
    }
  });

  it("10 000 refused commands with descriptors leave none open", async () => {
    const raw = await RawQmpSocket.negotiated(socketPath);
    try {
      const before = await quietCount();
      const refusals = [
        ['{"execute":"frobnicate"}\n', "CommandNotFound"],
        ['{"execute":"probe","arguments":[]}\n', "GenericError"],
        ['{"execute" "probe"}\n', "GenericError"],
        ['{"execute":"probe","extra":1}\n', "GenericError"],
      ] as const;
      for (let i = 0; i < 10_000; i++) {
        const [text, errorClass] = refusals[i % refusals.length] as (typeof refusals)[number];
        raw.send(text, [fd(i % 3)]);
        const reply = await raw.reply();
        expect((reply.error as { class: string }).class).toBe(errorClass);
      }
      expect(await settledCount(before)).toBe(before);
    } finally {
      await raw.close();
    }
  });

  it("a client that leaves takes its descriptors with it: unanswered, incomplete, not negotiated", async () => {
    const before = await quietCount();
    const early = await RawQmpSocket.open(socketPath);
    await early.next();
    early.send('{"execute":"probe"}\n', [fd(0)]);
    expect((await early.reply()).error).toMatchObject({ class: "CommandNotFound" });
    const raw = await RawQmpSocket.negotiated(socketPath);
    raw.send('{"execute":"hold","id":1}\n', [fd(0)]);
    raw.send('{"execute":"probe","id":2}\n', [fd(1)]);
    raw.send('{"execute":"pro', [fd(2)]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(held).toHaveLength(1);
    expect(openDescriptorCount()).toBeGreaterThan(before);
    await raw.close();
    await early.close();
    expect(await settledCount(before)).toBe(before);
  });

  it("the library client refuses descriptors on a transport that cannot carry them", async () => {
    const tcp = await server.listen("tcp:127.0.0.1:0");
    const client = await QmpClient.connect(tcp.address);
    try {
      expect(client.carriesDescriptors).toBe(false);
      const refused = await client.execute("probe", {}, { descriptors: [fd(0)] }).catch((e: unknown) => e);
      expect(refused).not.toBeInstanceOf(QmpError);
      expect(String(refused)).toMatch(
        /cannot pass file descriptors to tcp:127\.0\.0\.1:\d+: .*not a unix socket/,
      );
    } finally {
      await client.close();
    }
  });
});
