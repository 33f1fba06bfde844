/**
 * Expected-trace lines that depend on the QEMU version under test. Where QEMU itself behaves
 * differently between versions, a job scenario's trace carries both versions' lines, each
 * marked with the versions that give it — written by hand from what each QEMU was measured to
 * do, never loosened into a line that accepts both. `linesFor` picks one version's trace.
 */

export interface QemuVersion {
  major: number;
  minor: number;
}

const MARK = /^(.*) ⟨(since|before) (\d+)\.(\d+)⟩$/;

/** A line only QEMU `version` and newer give. */
export const since = (version: string, line: string): string => `${line} ⟨since ${version}⟩`;
/** A line only QEMUs older than `version` give. */
export const before = (version: string, line: string): string => `${line} ⟨before ${version}⟩`;

/** The lines QEMU `version` must give: unmarked ones, and marked ones whose range holds it. */
export function linesFor(lines: readonly string[], version: QemuVersion): string[] {
  return lines.flatMap((line) => {
    const mark = MARK.exec(line);
    if (!mark) return [line];
    const [, text, kind, major, minor] = mark;
    const atLeast =
      version.major > Number(major) || (version.major === Number(major) && version.minor >= Number(minor));
    return (kind === "since") === atLeast ? [text as string] : [];
  });
}

/**
 * An outgoing precopy job from active to its end, no hold: QEMU 10.0 passes `device` on the way
 * (always, measured on 10.0.2); 7.2 goes from active straight to completed.
 */
export const PRECOPY_TO_COMPLETED = [
  "status waiting",
  "status pending",
  since("10.0", "sub device"),
  "status concluded",
  "sub completed",
];

/** An incoming job, or a postcopy job after postcopy-active, to its end: the same on both. */
export const INCOMING_TO_COMPLETED = [
  "status waiting",
  "status pending",
  "status concluded",
  "sub completed",
];

/**
 * job-complete in active (migrate-start-postcopy): QEMU 10.0's postcopy switch passes `device`
 * before postcopy-active (decision 0001, tension 12); 7.2 goes straight to postcopy-active.
 */
export const POSTCOPY_SWITCH = [since("10.0", "sub device"), "sub postcopy-active"];

/**
 * A source resumed from postcopy-paused: QEMU 10.0 first enters postcopy-recover-setup (9.1's
 * status, standby like postcopy-paused), then postcopy-recover; 7.2 goes straight there.
 */
export const RECOVER_SETUP = [since("10.0", "sub postcopy-recover-setup")];

/** query-status as the catalogue records it: `singlestep` is gone from QEMU 10.0's StatusInfo. */
export function queryStatusLines(running: boolean, status: string): string[] {
  return [
    before("10.0", `ok query-status {"running":${running},"singlestep":false,"status":"${status}"}`),
    since("10.0", `ok query-status {"running":${running},"status":"${status}"}`),
  ];
}
