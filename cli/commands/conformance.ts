/**
 * `jobshim conformance --qemu PATH… [--facade jobs|legacy|both] [--report text|json|junit|md]
 * [--only NAME…] [--list]`: runs the conformance catalogue against a QEMU binary and reports per
 * scenario; several `--qemu` give one report with a column per version. Progress goes to stderr, the report to stdout; exit 1 when any scenario fails.
 */
import type { Command } from "commander";
import { CATALOGUE, selectEntries } from "../../adapters/conformance/catalogue/index.ts";
import { jsonReport } from "../../adapters/conformance/report-json.ts";
import { junitReport } from "../../adapters/conformance/report-junit.ts";
import { markdownReport } from "../../adapters/conformance/report-md.ts";
import { textReport } from "../../adapters/conformance/report-text.ts";
import {
  jsonVersionsReport,
  markdownVersionsReport,
  textVersionsReport,
} from "../../adapters/conformance/report-versions.ts";
import type { ConformanceReport } from "../../adapters/conformance/result.ts";
import { type FacadeMode, runCatalogue } from "../../adapters/conformance/run-catalogue.ts";
import { findQemuBinary } from "../../adapters/qemu-pair.ts";

const WRITERS: Record<string, (report: ConformanceReport) => string> = {
  text: textReport,
  json: jsonReport,
  junit: junitReport,
  md: markdownReport,
};
const VERSIONS_WRITERS: Record<string, (reports: readonly ConformanceReport[]) => string> = {
  text: textVersionsReport,
  json: jsonVersionsReport,
  md: markdownVersionsReport,
};
const FACADES = ["jobs", "legacy", "both"] as const;

interface ConformanceFlags {
  qemu?: string[];
  facade: string;
  report: string;
  only: string[];
  list?: boolean;
}

export function registerConformanceCommand(program: Command): void {
  program
    .command("conformance")
    .description("run the conformance catalogue against a QEMU binary and report per scenario")
    .option(
      "--qemu <path...>",
      "the qemu-system-x86_64 to test; several: one report, a column per version (default: $QEMU, else the one on PATH)",
    )
    .option("--facade <api>", "which API to test: jobs, legacy or both", "both")
    .option("--report <format>", "report format on stdout: text, json, junit or md", "text")
    .option("--only <name...>", "only these scenarios (a full name, the name after its prefix, or a tag)", [])
    .option("--list", "list the selected scenarios with their tags and documentation, run nothing")
    .action(async (flags: ConformanceFlags) => {
      const writer = WRITERS[flags.report];
      if (!writer)
        throw new Error(`--report must be one of ${Object.keys(WRITERS).join(", ")}, not '${flags.report}'`);
      if (!(FACADES as readonly string[]).includes(flags.facade))
        throw new Error(`--facade must be one of ${FACADES.join(", ")}, not '${flags.facade}'`);
      const facade = flags.facade as FacadeMode;
      if (flags.list) return list(facade, flags.only);
      const found = findQemuBinary();
      const binaries = flags.qemu ?? (found ? [found] : []);
      if (binaries.length === 0)
        throw new Error("no qemu-system-x86_64 found: pass --qemu PATH (or set QEMU)");
      const several = VERSIONS_WRITERS[flags.report];
      if (binaries.length > 1 && !several)
        throw new Error(`--report ${flags.report} takes one --qemu; for several use text, json or md`);
      // Ctrl-C: exiting runs qemu-pair's exit hook, which kills every QEMU this run started.
      const interrupt = () => process.exit(130);
      process.once("SIGINT", interrupt);
      process.once("SIGTERM", interrupt);
      try {
        const reports = [];
        for (const binary of binaries)
          reports.push(
            await runCatalogue({
              binary,
              facade,
              only: flags.only,
              progress: (line) => process.stderr.write(`${line}\n`),
            }),
          );
        const [only] = reports;
        if (reports.length === 1 && only) process.stdout.write(writer(only));
        else if (several) process.stdout.write(several(reports));
        if (reports.some((r) => r.failed > 0)) process.exitCode = 1;
      } finally {
        process.off("SIGINT", interrupt);
        process.off("SIGTERM", interrupt);
      }
    });
}

function list(facade: FacadeMode, only: string[]): void {
  const entries = selectEntries(CATALOGUE, only).filter((e) => facade === "both" || e.api === facade);
  for (const e of entries)
    process.stdout.write(`${e.name}  [${e.scenario.tags.join(", ")}]\n    ${e.scenario.doc}\n`);
  process.stdout.write(`${entries.length} scenarios\n`);
}
