/** The rules of adoption (decision 0001, 14) as QEMU's answers decide them. */
import { describe, expect, it } from "vitest";
import {
  adoptedId,
  directionOf,
  runningStatus,
  uriOfSocketAddress,
} from "../../../adapters/job-facade/adoption.ts";

describe("adoption rules", () => {
  it("adopts running statuses and a listening destination, never a migration that is over", () => {
    expect(runningStatus({ status: "active" })).toBe("active");
    expect(runningStatus({ status: "postcopy-paused" })).toBe("postcopy-paused");
    expect(runningStatus({ status: "some-future-status" })).toBe("some-future-status");
    expect(runningStatus({ "socket-address": [{ type: "inet", host: "h", port: "1" }] })).toBe("setup");
    for (const over of ["none", "completed", "failed", "cancelled"])
      expect(runningStatus({ status: over })).toBe(undefined);
    expect(runningStatus({})).toBe(undefined);
    expect(runningStatus(undefined)).toBe(undefined);
  });

  it("a destination listens, is inmigrate, or runs the guest in postcopy", () => {
    expect(directionOf({ "socket-address": [] }, { status: "inmigrate" })).toBe("incoming");
    expect(directionOf({ status: "active" }, { status: "inmigrate" })).toBe("incoming");
    expect(directionOf({ status: "postcopy-active" }, { status: "running" })).toBe("incoming");
    expect(directionOf({ status: "postcopy-active" }, { status: "finish-migrate" })).toBe("outgoing");
    expect(directionOf({ status: "active" }, { status: "running" })).toBe("outgoing");
    expect(directionOf({ status: "active" }, null)).toBe("outgoing");
  });

  it("default ids never take one in use: migration, migration-2, …", () => {
    expect(adoptedId("outgoing", () => false)).toBe("migration");
    expect(adoptedId("incoming", () => false)).toBe("migration-incoming");
    const taken = new Set(["migration", "migration-2"]);
    expect(adoptedId("outgoing", (id) => taken.has(id))).toBe("migration-3");
    expect(adoptedId("incoming", (id) => id === "migration-incoming")).toBe("migration-incoming-2");
  });

  it("a listening address as a URI", () => {
    const inet = { "socket-address": [{ type: "inet", host: "127.0.0.1", port: "4444" }] };
    expect(uriOfSocketAddress(inet)).toBe("tcp:127.0.0.1:4444");
    expect(uriOfSocketAddress({ "socket-address": [{ type: "unix", path: "/tmp/m.sock" }] })).toBe(
      "unix:/tmp/m.sock",
    );
    expect(uriOfSocketAddress({})).toBe("");
  });
});
