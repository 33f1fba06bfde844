import { describe, expect, it } from "vitest";
import { formatAddress, parseAddress } from "../../../src/transports/address.ts";

describe("QMP addresses", () => {
  it.each([
    ["unix:/run/qemu/qmp.sock", { kind: "unix", path: "/run/qemu/qmp.sock" }],
    ["tcp:127.0.0.1:4444", { kind: "tcp", host: "127.0.0.1", port: 4444 }],
    ["tcp:[::1]:4444", { kind: "tcp", host: "::1", port: 4444 }],
    ["ws://localhost:5700", { kind: "ws", host: "localhost", port: 5700, path: "/" }],
    ["ws://localhost:5700/qmp", { kind: "ws", host: "localhost", port: 5700, path: "/qmp" }],
  ])("parses and prints %s", (text, parsed) => {
    expect(parseAddress(text)).toEqual(parsed);
    expect(formatAddress(parseAddress(text))).toBe(text);
  });

  it.each([
    ["unix:", /has no socket path/],
    ["tcp:localhost", /needs HOST:PORT/],
    ["tcp:localhost:99999", /invalid port '99999'/],
    ["http://x:1", /expected unix:PATH, tcp:HOST:PORT or ws:\/\/HOST:PORT/],
  ])("refuses %s", (text, message) => {
    expect(() => parseAddress(text)).toThrow(message);
  });
});
