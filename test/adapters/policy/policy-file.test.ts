import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  loadPolicyFile,
  PolicyFileError,
  parsePolicy,
  resolvePolicy,
} from "../../../adapters/policy/policy-file.ts";

const dir = mkdtempSync(path.join(tmpdir(), "jobshim-policy-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const problemOf = (text: string): string => {
  try {
    parsePolicy(text, "p.json");
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyFileError);
    return (error as Error).message;
  }
  throw new Error("accepted");
};

describe("policy files", () => {
  it("loads allow and deny lists, named after the file unless named", () => {
    const file = path.join(dir, "monitoring.json");
    writeFileSync(file, JSON.stringify({ allow: ["query-*", "job-pause"], deny: ["query-qmp-schema"] }));
    const policy = loadPolicyFile(file);
    expect(policy.name).toBe("monitoring");
    expect(policy.allows("job-pause")).toBe(true);
    expect(policy.allows("query-qmp-schema")).toBe(false);
    expect(parsePolicy('{"name":"ops","allow":[]}', "x.json").name).toBe("ops");
  });

  it.each([
    ["{", /^policy file p\.json: not valid JSON \(/],
    ["[]", /^policy file p\.json: must hold a JSON object/],
    ['{"allow":[],"alow":[]}', /^policy file p\.json: unknown member 'alow' \(expected name, allow, deny\)$/],
    ['{"deny":[]}', /^policy file p\.json: lacks member 'allow'/],
    ['{"allow":"query-*"}', /^policy file p\.json: member 'allow' must be a list of command patterns$/],
    ['{"allow":[1]}', /^policy file p\.json: allow\[0\] must be a string$/],
    ['{"allow":["query-*","rm -rf"]}', /^policy file p\.json: allow\[1\] 'rm -rf' is not a command pattern/],
    ['{"allow":[],"deny":{}}', /^policy file p\.json: member 'deny' must be a list/],
    ['{"allow":[],"name":""}', /^policy file p\.json: member 'name' must be a non-empty string$/],
  ])("refuses %s with one line naming the file and the problem", (text, expected) => {
    const message = problemOf(text);
    expect(message).toMatch(expected);
    expect(message).not.toContain("\n");
  });

  it("names a file that cannot be read", () => {
    expect(() => loadPolicyFile(path.join(dir, "missing.json"))).toThrow(
      /missing\.json: cannot be read \(ENOENT\)/,
    );
  });

  it("resolves --policy names and refuses unknown ones or both flags", () => {
    expect(resolvePolicy({})).toBeUndefined();
    expect(resolvePolicy({ policy: "read-only" })?.name).toBe("read-only");
    expect(() => resolvePolicy({ policy: "readonly" })).toThrow("unknown policy 'readonly'");
    expect(() => resolvePolicy({ policy: "toString" })).toThrow("unknown policy 'toString'");
    expect(() => resolvePolicy({ policy: "full", policyFile: "x" })).toThrow("exclude each other");
  });
});
