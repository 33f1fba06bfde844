/**
 * `QmpClient.onEvent`: listeners hear each event synchronously as it is read, so an event that
 * precedes a reply in the stream is heard before that reply settles its call — even when both
 * arrive in one chunk (the job facade's stale-answer check relies on it).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { QmpClient } from "../../../src/qmp/index.ts";
import { emptyReturn, type FakeRequest, startFakeQmpServer } from "../../helpers/fake-qmp-server.ts";

const dir = mkdtempSync(path.join(tmpdir(), "jobshim-client-on-event-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const EVENT =
  '{"timestamp": {"seconds": 1, "microseconds": 2}, "event": "MIGRATION", "data": {"status": "active"}}';

/** Answers each request after the first with an event and the reply in one write. */
const eventThenReply = (request: FakeRequest): string =>
  `${request.id === 1 ? "" : `${EVENT}\r\n`}${emptyReturn(request)}`;

it("hears an event before the reply that follows it in the same chunk settles", async () => {
  const socket = path.join(dir, "qmp.sock");
  const server = await startFakeQmpServer(socket, eventThenReply);
  const client = await QmpClient.connect(`unix:${socket}`);
  const order: string[] = [];
  const stop = client.onEvent((event) => order.push(`event ${event.event}`));
  try {
    await client.execute("query-migrate").then(() => order.push("reply"));
    expect(order).toEqual(["event MIGRATION", "reply"]);
    stop();
    await client.execute("query-migrate");
    expect(order).toHaveLength(2);
  } finally {
    await client.close();
    await server.close();
  }
});

it("a throwing listener does not stop the stream for the other listeners or the calls", async () => {
  const socket = path.join(dir, "qmp2.sock");
  const server = await startFakeQmpServer(socket, eventThenReply);
  const client = await QmpClient.connect(`unix:${socket}`);
  const heard: string[] = [];
  const uncaught: unknown[] = [];
  const onUncaught = (error: unknown) => uncaught.push(error);
  process.prependListener("uncaughtException", onUncaught);
  client.onEvent(() => {
    throw new Error("listener broke");
  });
  client.onEvent((event) => heard.push(event.event));
  try {
    await client.execute("query-migrate");
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(heard).toEqual(["MIGRATION"]);
    expect(uncaught.map(String)).toEqual(["Error: listener broke"]);
  } finally {
    process.off("uncaughtException", onUncaught);
    await client.close();
    await server.close();
  }
});
