/**
 * QEMU 7.2's own migration test (tests/qtest/migration-test, every case) run three ways: against
 * QEMU directly, through `jobshim proxy --facade jobs`, and through a legacy proxy over a jobs
 * proxy (legacy∘jobs). libqtest is the QMP client; it never knows a proxy is there (see
 * qtest-wrapper/). Direct must pass every case; through each proxy the results must equal direct,
 * except the known failures listed below with their cause. A listed case that passes fails the
 * test, so the list can only shrink. Every case runs in its own process group: a process left
 * behind (QEMU, helper or proxy) or a socket directory left behind fails the test too.
 *
 * Needs the binary from scripts/build-migration-test.sh (CI builds it in .ci/run); without it the
 * test is skipped loudly, and under REQUIRE_QEMU=1 it fails.
 *   JOBSHIM_MIGRATION_TEST_ONLY=REGEX   run only the matching cases
 *   JOBSHIM_MIGRATION_TEST_LOGS=DIR     keep each case's output and proxy logs in DIR
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { distIsFresh } from "../../bin/dist-stamp.js";
import { projectRoot } from "../helpers/paths.ts";
import {
  available,
  type CaseResult,
  formatTable,
  listCases,
  type Mode,
  migrationTestBinary,
  runCase,
} from "./migration-test-runner.ts";

const binary = migrationTestBinary();
const skipReason = available(binary);
if (skipReason) {
  if (process.env.REQUIRE_QEMU === "1") throw new Error(`REQUIRE_QEMU=1 but ${skipReason}`);
  console.warn(`\n*** SKIPPING QEMU's migration-test through the proxies: ${skipReason} ***\n`);
}

/** QEMU 7.2 configured with gnutls and zstd (scripts/build-migration-test.sh) has this many cases. */
const EXPECTED_CASES = 41;

interface KnownFailure {
  /** What goes wrong, one line. */
  cause: string;
  /** migration-test's failure (CaseResult.detail) must match: a different failure is not this one. */
  signature: RegExp;
}

/**
 * Cases that fail through a proxy today, each with its cause and the failure it must show. Keep it
 * true: the test fails when a listed case passes (remove it), fails differently, or an unlisted
 * case's result differs from direct.
 */
const knownFailures: Record<Exclude<Mode, "direct">, Record<string, KnownFailure>> = {
  // Emptied by descriptor passing (fd_proto) and by the legacy facade describing migrations it did
  // not start (-incoming URI destinations: 8 postcopy and 10 precopy/tcp cases), issue 12.
  jobs: {},
  "legacy-over-jobs": {},
};

/**
 * Cases seen to fail only sometimes through a proxy: either outcome is accepted, but a failure
 * must be the one described, and the table shows it. Only cases actually seen failing are here.
 */
const intermittent: Record<Exclude<Mode, "direct">, Record<string, KnownFailure>> = {
  jobs: {},
  "legacy-over-jobs": {},
};

/** Per case: direct gets 240 s; a proxy mode gets 3 × the direct time + 30 s (at least 60 s). */
const DIRECT_CASE_TIMEOUT_MS = 240_000;
const proxyCaseTimeout = (direct: CaseResult | undefined) =>
  direct ? Math.max(60_000, Math.round(direct.seconds * 3000) + 30_000) : DIRECT_CASE_TIMEOUT_MS;
/** Per mode (one vitest test each): the CI budget for the whole suite is 45 min. */
const MODE_TIMEOUT_MS = 20 * 60_000;

const only = process.env.JOBSHIM_MIGRATION_TEST_ONLY
  ? new RegExp(process.env.JOBSHIM_MIGRATION_TEST_ONLY)
  : /./;
const keepLogs = process.env.JOBSHIM_MIGRATION_TEST_LOGS;

describe.skipIf(skipReason !== undefined)("QEMU 7.2's migration-test through the proxies", () => {
  let cases: string[] = [];
  const results = new Map<string, CaseResult>();
  const durations = new Map<Mode, number>();

  beforeAll(async () => {
    cases = await listCases(binary);
    console.log(
      `migration-test: ${binary}, ${cases.length} cases; jobshim proxy runs ${
        distIsFresh(projectRoot) ? "compiled dist/" : "the sources through tsx (dist/ missing or stale)"
      }`,
    );
  }, 60_000);

  afterAll(() => {
    if (cases.length === 0) return;
    const lines = [formatTable(cases, results), ""];
    for (const [mode, seconds] of durations) lines.push(`${mode}: ${seconds.toFixed(0)} s`);
    for (const r of results.values()) {
      if (r.outcome === "pass") continue;
      const known =
        r.mode === "direct" ? undefined : (knownFailures[r.mode][r.path] ?? intermittent[r.mode][r.path]);
      lines.push(
        `${r.mode} ${r.path}: ${r.outcome}: ${known ? `known: ${known.cause}` : r.detail}${r.proxyError ? ` | ${r.proxyError}` : ""}`,
      );
    }
    console.log(lines.join("\n"));
  });

  async function runMode(mode: Mode): Promise<CaseResult[]> {
    const started = performance.now();
    const ran: CaseResult[] = [];
    for (const casePath of cases.filter((c) => only.test(c))) {
      const timeoutMs =
        mode === "direct" ? DIRECT_CASE_TIMEOUT_MS : proxyCaseTimeout(results.get(`direct ${casePath}`));
      const result = await runCase(binary, mode, casePath, {
        timeoutMs,
        ...(keepLogs ? { keepLogsIn: keepLogs } : {}),
      });
      results.set(`${mode} ${casePath}`, result);
      ran.push(result);
      console.log(`${mode} ${casePath}: ${result.outcome} ${result.seconds.toFixed(1)} s ${result.detail}`);
    }
    durations.set(mode, (performance.now() - started) / 1000);
    return ran;
  }

  /** Nothing left behind, whatever the outcome (a timed-out case's group is killed by the runner). */
  function expectClean(ran: CaseResult[]) {
    expect(ran.filter((r) => r.strays.length > 0).map((r) => `${r.path}: ${r.strays.join("; ")}`)).toEqual(
      [],
    );
    expect(
      ran.filter((r) => r.outcome !== "timeout" && r.leaks.length > 0).map((r) => `${r.path}: ${r.leaks}`),
    ).toEqual([]);
  }

  it("lists every case of QEMU 7.2's migration-test (TLS and zstd built in)", () => {
    expect(cases.length).toBe(EXPECTED_CASES);
    for (const mode of ["jobs", "legacy-over-jobs"] as const)
      for (const listed of [...Object.keys(knownFailures[mode]), ...Object.keys(intermittent[mode])])
        expect(cases).toContain(listed);
  });

  it(
    "direct: every case passes",
    async () => {
      const ran = await runMode("direct");
      expectClean(ran);
      expect(
        ran.filter((r) => r.outcome !== "pass").map((r) => `${r.path}: ${r.outcome} ${r.detail}`),
      ).toEqual([]);
    },
    MODE_TIMEOUT_MS,
  );

  for (const mode of ["jobs", "legacy-over-jobs"] as const) {
    it(
      `${mode}: the same results as direct, except the known failures`,
      async () => {
        const ran = await runMode(mode);
        expectClean(ran);
        const unexpected = ran.flatMap((r) => {
          const known = knownFailures[mode][r.path];
          const flaky = intermittent[mode][r.path];
          const direct = results.get(`direct ${r.path}`)?.outcome ?? "pass";
          if (known !== undefined) {
            if (r.outcome === "pass") return [`${r.path}: passes now, remove it from the known failures`];
            return known.signature.test(r.detail)
              ? []
              : [`${r.path}: fails differently: ${r.outcome} ${r.detail}`];
          }
          if (flaky !== undefined && r.outcome === "fail" && flaky.signature.test(r.detail)) {
            console.warn(`${mode} ${r.path}: failed intermittently as known: ${flaky.cause}`);
            return [];
          }
          return r.outcome === direct ? [] : [`${r.path}: ${r.outcome} (direct: ${direct}) ${r.detail}`];
        });
        expect(unexpected).toEqual([]);
      },
      MODE_TIMEOUT_MS,
    );
  }
});
