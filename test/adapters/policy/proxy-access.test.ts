/**
 * Access control on a real proxy (in-process, over a scripted QEMU): socket modes, loopback-only
 * binds, per-listener command policies, and that nothing refused ever reaches upstream.
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { BUILTIN_POLICIES, patternPolicy } from "../../../adapters/policy/command-policy.ts";
import { createJobFacadeProxy, type JobFacadeProxy } from "../../../adapters/proxy.ts";
import { QmpClient } from "../../../src/qmp/client.ts";
import type { JsonObject, JsonValue } from "../../../src/qmp/json-value.ts";
import { QmpError } from "../../../src/qmp/qmp-error.ts";
import { FakeQemu } from "../job-facade/fake-qemu.ts";

/** The scripted QEMU, also telling its command list as QEMU does. */
class ListingQemu extends FakeQemu {
  static readonly COMMANDS = [
    "query-status",
    "query-migrate",
    "migrate-set-parameters",
    "stop",
    "job-cancel",
  ];

  override async execute(command: string, args?: JsonObject): Promise<JsonValue> {
    if (command === "query-commands") return ListingQemu.COMMANDS.map((name) => ({ name }));
    if (command === "query-status" || command === "stop") {
      this.calls.push({ command, args });
      return command === "stop" ? {} : { status: "running", running: true, singlestep: false };
    }
    return super.execute(command, args);
  }
}

let dir: string;
let proxy: JobFacadeProxy | undefined;
const clients: QmpClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
  await proxy?.close();
  proxy = undefined;
  rmSync(dir, { recursive: true, force: true });
});

async function startProxy(qemu = new ListingQemu()): Promise<{ qemu: ListingQemu; proxy: JobFacadeProxy }> {
  dir = mkdtempSync(path.join(tmpdir(), "jobshim-access-"));
  proxy = await createJobFacadeProxy({ upstream: qemu });
  return { qemu, proxy };
}

async function client(socket: string): Promise<QmpClient> {
  const c = await QmpClient.connect(`unix:${socket}`);
  clients.push(c);
  return c;
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(QmpError);
  return `${(error as QmpError).errorClass}: ${(error as QmpError).desc}`;
}

const modeOf = (file: string) => statSync(file).mode & 0o777;

describe("proxy access control", () => {
  it("creates unix sockets 0600 by default and with the mode asked for", async () => {
    const { proxy } = await startProxy();
    await proxy.listen(`unix:${path.join(dir, "a")}`);
    await proxy.listen(`unix:${path.join(dir, "b")}`, { socketMode: 0o660 });
    expect(modeOf(path.join(dir, "a"))).toBe(0o600);
    expect(modeOf(path.join(dir, "b"))).toBe(0o660);
  });

  it("refuses non-loopback TCP and WebSocket binds unless remote access is allowed", async () => {
    const { proxy } = await startProxy();
    await expect(proxy.listen("tcp:0.0.0.0:0")).rejects.toThrow("--allow-remote");
    await expect(proxy.listen("ws://0.0.0.0:0")).rejects.toThrow("--allow-remote");
    expect(proxy.listeners).toHaveLength(0);
    const local = await proxy.listen("tcp:127.0.0.1:0");
    expect(local.address.kind).toBe("tcp");
    const remote = await proxy.listen("tcp:0.0.0.0:0", { allowRemote: true });
    expect(remote.address).toMatchObject({ kind: "tcp", host: "0.0.0.0" });
  });

  it("applies each listener's policy to its own clients only, forwarding nothing refused", async () => {
    const { qemu, proxy } = await startProxy();
    const readOnlySocket = path.join(dir, "ro");
    const fullSocket = path.join(dir, "rw");
    await proxy.listen(`unix:${readOnlySocket}`, { policy: BUILTIN_POLICIES["read-only"] });
    await proxy.listen(`unix:${fullSocket}`);
    const viewer = await client(readOnlySocket);
    const operator = await client(fullSocket);

    expect(await viewer.execute("query-status")).toMatchObject({ status: "running" });
    expect(await viewer.execute("query-jobs")).toEqual([]);
    const before = qemu.commandsSent().length;
    expect(await refusal(viewer.execute("stop"))).toBe(
      "GenericError: Command 'stop' is not allowed by this listener's policy 'read-only'",
    );
    expect(await refusal(viewer.execute("job-migrate", { "job-id": "m", uri: "tcp:127.0.0.1:1" }))).toBe(
      "GenericError: Command 'job-migrate' is not allowed by this listener's policy 'read-only'",
    );
    expect(await refusal(viewer.execute("migrate-set-parameters", { "downtime-limit": 10 }))).toContain(
      "not allowed by this listener's policy",
    );
    expect(
      qemu
        .commandsSent()
        .slice(before)
        .filter((c) => c !== "query-migrate"),
    ).toEqual([]);

    await operator.execute("stop");
    expect(qemu.commandsSent()).toContain("stop");
  });

  it("takes a custom policy's deny list", async () => {
    const { proxy } = await startProxy();
    const socket = path.join(dir, "custom");
    await proxy.listen(`unix:${socket}`, { policy: patternPolicy("ops", { allow: ["*"], deny: ["stop"] }) });
    const c = await client(socket);
    expect(await refusal(c.execute("stop"))).toBe(
      "GenericError: Command 'stop' is not allowed by this listener's policy 'ops'",
    );
    expect(await c.execute("query-status")).toMatchObject({ running: true });
  });

  it("answers unknown commands and bad arguments itself, in QEMU's words, without forwarding", async () => {
    const { qemu, proxy } = await startProxy();
    const socket = path.join(dir, "s");
    await proxy.listen(`unix:${socket}`);
    const c = await client(socket);
    const before = qemu.calls.length;
    expect(await refusal(c.execute("frobnicate"))).toBe(
      "CommandNotFound: The command frobnicate has not been found",
    );
    expect(await refusal(c.execute("query-status", { x: 1 }))).toBe(
      "GenericError: Parameter 'x' is unexpected",
    );
    expect(await refusal(c.execute("migrate-set-parameters", { "downtime-limit": "soon" }))).toBe(
      "GenericError: Parameter 'downtime-limit' expects uint64",
    );
    expect(qemu.calls.slice(before).filter((call) => call.command !== "query-migrate")).toEqual([]);
    const listed = (await c.execute("query-commands")) as { name: string }[];
    expect(listed.map((entry) => entry.name)).toEqual(
      expect.arrayContaining(["query-status", "job-migrate"]),
    );
  });
});
