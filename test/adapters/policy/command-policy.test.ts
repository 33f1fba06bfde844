import { describe, expect, it } from "vitest";
import { BUILTIN_POLICIES, patternPolicy, policyRefusal } from "../../../adapters/policy/command-policy.ts";

describe("command policies", () => {
  it("read-only allows query-* only", () => {
    const policy = BUILTIN_POLICIES["read-only"];
    expect(policy?.allows("query-status")).toBe(true);
    expect(policy?.allows("query-jobs")).toBe(true);
    expect(policy?.allows("job-cancel")).toBe(false);
    expect(policy?.allows("migrate")).toBe(false);
    expect(policy?.allows("xquery-status")).toBe(false);
  });

  it("full allows everything", () => {
    expect(BUILTIN_POLICIES.full?.allows("migrate")).toBe(true);
  });

  it("deny wins over allow, and * matches any run of characters", () => {
    const policy = patternPolicy("p", { allow: ["query-*", "job-*"], deny: ["job-c*", "query-qmp-schema"] });
    expect(policy.allows("job-pause")).toBe(true);
    expect(policy.allows("job-cancel")).toBe(false);
    expect(policy.allows("job-complete")).toBe(false);
    expect(policy.allows("query-qmp-schema")).toBe(false);
    expect(policy.allows("query-migrate")).toBe(true);
  });

  it("takes '.' in a pattern literally", () => {
    const policy = patternPolicy("p", { allow: ["a.b"] });
    expect(policy.allows("a.b")).toBe(true);
    expect(policy.allows("axb")).toBe(false);
  });

  it("an empty allow list allows nothing", () => {
    expect(patternPolicy("none", { allow: [] }).allows("query-status")).toBe(false);
  });

  it("refuses with a GenericError naming command and policy", () => {
    expect(policyRefusal("migrate", patternPolicy("read-only", { allow: [] }))).toEqual({
      class: "GenericError",
      desc: "Command 'migrate' is not allowed by this listener's policy 'read-only'",
    });
  });
});
