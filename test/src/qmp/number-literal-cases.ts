/**
 * Test-only: number literals at the edges of QEMU 7.2's parser and input visitor, sent in this
 * order on one negotiated connection. The replies QEMU 7.2 gave are recorded in
 * test/fixtures/qemu-7.2-number-literals.json; re-record with
 *   npx tsx test/src/qmp/number-literal-cases.ts
 * (needs qemu-system-x86_64; writes the fixture). Accepted `migrate-set-parameters` change
 * QEMU's state, so the order matters: the query after `max-bandwidth` 2^53 + 1 reads it back.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { projectRoot } from "../../helpers/paths.ts";
import { findQemu, startQemuMonitors } from "../../helpers/qemu-qmp-process.ts";
import { RawQmpSession } from "../../helpers/raw-qmp-session.ts";

export const FIXTURE = path.join(projectRoot, "test/fixtures/qemu-7.2-number-literals.json");

const set = (args: string, id: number) =>
  `{"execute":"migrate-set-parameters","arguments":${args},"id":${id}}`;
const speed = (value: string, id: number) =>
  `{"execute":"block-job-set-speed","arguments":{"device":"x","speed":${value}},"id":${id}}`;
const status = (id: string) => `{"execute":"query-status","id":${id}}`;

export const NUMBER_CASES: string[] = [
  set('{"max-bandwidth":1.0}', 1),
  set('{"downtime-limit":1e3}', 2),
  set('{"announce-initial":1E2}', 3),
  set('{"max-bandwidth":100.00}', 4),
  set('{"max-bandwidth":18446744073709551616}', 5),
  set('{"max-bandwidth":-9223372036854775809}', 6),
  set('{"compress-level":1.0}', 7),
  set('{"compress-level":18446744073709551615}', 8),
  set('{"compress-level":-1}', 9),
  set('{"x-checkpoint-delay":4294967296}', 10),
  set('{"x-checkpoint-delay":4294967295.0}', 11),
  set('{"compress-level":1.5,"max-bandwidth":1.0}', 12),
  set('{"max-bandwidth":1e3,"tls-creds":5}', 13),
  set('{"tls-creds":5,"downtime-limit":-0.0}', 14),
  set('{"max-bandwidth":18446744073709551615}', 15),
  set('{"max-bandwidth":-1}', 16),
  set('{"max-bandwidth":-9223372036854775808}', 17),
  set('{"max-bandwidth":9007199254740993}', 18),
  '{"execute":"query-migrate-parameters","id":19}',
  set('{"max-bandwidth":9223372036854775807,"max-postcopy-bandwidth":12345678901234567}', 20),
  '{"execute":"query-migrate-parameters","id":21}',
  speed("9223372036854775808", 22),
  speed("-9223372036854775809", 23),
  speed("1e0", 24),
  speed("0.0", 25),
  // QEMU's lexer ends a number at a leading 0 unless `.` follows: `0e0` is a parse error to it
  // (JSON.parse takes it: the fast path must not).
  speed("0e0", 251),
  speed("18446744073709551615", 26),
  speed("9223372036854775807", 27),
  speed("-9223372036854775808", 28),
  status("9007199254740993"),
  status("-9007199254740993"),
  status("1e18"),
  status("1.0"),
  status("-0"),
  status("-0.0"),
  status("18446744073709551616"),
  status("-9223372036854775809"),
  status("123456789012345678901234567890"),
  status("0.1"),
  status("1E400"),
  status('[1.0,9007199254740993,{"a":-1e-7}]'),
];

export interface NumberFixture {
  qemu: string;
  recordedBy: string;
  exchanges: { sent: string; reply: string }[];
}

/** Sends every case to a fresh QEMU and writes what it answered. */
export async function recordFixture(binary: string): Promise<NumberFixture> {
  const qemu = await startQemuMonitors(binary);
  try {
    const session = await RawQmpSession.open(qemu.unix.slice("unix:".length));
    const [greeting = ""] = await session.exchange(undefined, 1);
    await session.exchange('{"execute":"qmp_capabilities"}', 1);
    const exchanges: NumberFixture["exchanges"] = [];
    for (const sent of NUMBER_CASES) {
      const [reply = ""] = await session.exchange(`${sent}\n`, 1);
      exchanges.push({ sent, reply });
    }
    session.close();
    const version = (JSON.parse(greeting) as { QMP: { version: { package: string } } }).QMP.version;
    return {
      qemu: `${binary} ${JSON.stringify(version)}`,
      recordedBy: "npx tsx test/src/qmp/number-literal-cases.ts",
      exchanges,
    };
  } finally {
    await qemu.stop();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === import.meta.filename) {
  const binary = findQemu();
  if (!binary) throw new Error("no qemu-system-x86_64 to record from");
  const fixture = await recordFixture(binary);
  writeFileSync(FIXTURE, `${JSON.stringify(fixture, null, 2)}\n`);
  console.log(`wrote ${fixture.exchanges.length} exchanges to ${FIXTURE}`);
}
