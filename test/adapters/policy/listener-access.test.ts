import { describe, expect, it } from "vitest";
import { checkBind, isLoopbackHost, parseSocketMode } from "../../../adapters/policy/listener-access.ts";

describe("listener access rules", () => {
  it.each([
    ["127.0.0.1", true],
    ["127.1.2.3", true],
    ["localhost", true],
    ["::1", true],
    ["::ffff:127.0.0.1", true],
    ["0.0.0.0", false],
    ["::", false],
    ["", false],
    ["192.168.1.10", false],
    ["127.example.com", false],
  ])("%s is loopback: %s", (host, loopback) => {
    expect(isLoopbackHost(host)).toBe(loopback);
  });

  it("refuses a remote bind unless allowed, and says how to allow it", () => {
    const address = { kind: "tcp", host: "0.0.0.0", port: 4444 } as const;
    expect(() => checkBind(address, {})).toThrow(/not a loopback address .* pass --allow-remote/);
    expect(() => checkBind(address, { allowRemote: true })).not.toThrow();
    expect(() => checkBind({ kind: "ws", host: "10.0.0.1", port: 1, path: "/" }, {})).toThrow(
      "--allow-remote",
    );
    expect(() => checkBind({ kind: "unix", path: "/tmp/x" }, {})).not.toThrow();
  });

  it("reads socket modes in octal and refuses anything else", () => {
    expect(parseSocketMode("0600")).toBe(0o600);
    expect(parseSocketMode("660")).toBe(0o660);
    for (const bad of ["999", "0o600", "rw", "06000", ""])
      expect(() => parseSocketMode(bad)).toThrow("invalid --socket-mode");
  });
});
