/**
 * Pipelined pass-through (server-session.ts): commands that go to a server's fallback start
 * before the ones ahead of them are answered, in arrival order, and are answered in arrival
 * order whatever order they finish in; commands with a handler of their own, and every command
 * on a server without a fallback, still wait until everything before them is answered.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type JsonValue, QmpServer } from "../../../src/qmp/index.ts";
import { RawQmpSession } from "../../helpers/raw-qmp-session.ts";

const dir = mkdtempSync(path.join(tmpdir(), "jobshim-pipelining-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Handlers that log when they start and finish only when the test releases them. */
function gatedHandlers() {
  const started: string[] = [];
  const gates = new Map<string, (value: JsonValue) => void>();
  const gated = (name: string) => (): Promise<JsonValue> => {
    started.push(name);
    return new Promise((resolve) => gates.set(name, resolve));
  };
  const release = (name: string) => gates.get(name)?.({ done: name });
  return { started, gated, release };
}

async function open(server: QmpServer): Promise<RawQmpSession> {
  const socket = path.join(dir, `${Math.random().toString(36).slice(2)}.sock`);
  await server.listen(`unix:${socket}`);
  const session = await RawQmpSession.open(socket);
  await session.exchange(undefined, 1); // greeting
  await session.exchange('{"execute":"qmp_capabilities"}\n', 1);
  return session;
}

const request = (command: string, id: number) => `{"execute":"${command}","id":${id}}\n`;
const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

describe("pipelined pass-through", () => {
  it("starts fallback commands at once, in order, and answers them in arrival order", async () => {
    const { started, gated, release } = gatedHandlers();
    const server = new QmpServer({ handlers: { own: gated("own") }, fallback: (command) => gated(command) });
    const session = await open(server);
    try {
      const replies = session.exchange(request("a", 1) + request("b", 2) + request("c", 3), 3);
      await settle();
      expect(started).toEqual(["a", "b", "c"]);
      // Finishing out of order must not reorder the replies.
      release("c");
      release("b");
      await settle();
      release("a");
      expect((await replies).map((line) => JSON.parse(line).id)).toEqual([1, 2, 3]);
    } finally {
      session.close();
      await server.close();
    }
  });

  it("makes a command with its own handler wait for everything before it, and what follows wait for it", async () => {
    const { started, gated, release } = gatedHandlers();
    const server = new QmpServer({ handlers: { own: gated("own") }, fallback: (command) => gated(command) });
    const session = await open(server);
    try {
      const replies = session.exchange(request("a", 1) + request("own", 2) + request("b", 3), 3);
      await settle();
      expect(started).toEqual(["a"]);
      release("a");
      await settle();
      expect(started).toEqual(["a", "own"]);
      release("own");
      await settle();
      expect(started).toEqual(["a", "own", "b"]);
      release("b");
      expect((await replies).map((line) => JSON.parse(line).id)).toEqual([1, 2, 3]);
    } finally {
      session.close();
      await server.close();
    }
  });

  it("keeps every command serial on a server without a fallback", async () => {
    const { started, gated, release } = gatedHandlers();
    const server = new QmpServer({ handlers: { a: gated("a"), b: gated("b") } });
    const session = await open(server);
    try {
      const replies = session.exchange(request("a", 1) + request("b", 2), 2);
      await settle();
      expect(started).toEqual(["a"]);
      release("a");
      await settle();
      expect(started).toEqual(["a", "b"]);
      release("b");
      expect((await replies).map((line) => JSON.parse(line).id)).toEqual([1, 2]);
    } finally {
      session.close();
      await server.close();
    }
  });
});
