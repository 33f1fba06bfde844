/**
 * LineFramer takes JSON.parse's path for plain one-line messages and must agree with the
 * QEMU-exact JsonFramer on every input: same values (member order included), same errors, in
 * the same order, however the bytes are split into chunks.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Framed, type FramerLimits, JsonFramer } from "../../../src/qmp/json-framer.ts";
import { LineFramer } from "../../../src/qmp/plain-line.ts";

/** Values with their member order made visible, and errors as text. */
const shown = (framed: Framed[]) =>
  framed.map((f) =>
    f.ok ? JSON.stringify(f.value, (_k, v) => (Object.is(v, -0) ? "-0" : v)) : `error: ${f.message}`,
  );

function both(chunks: Buffer[], limits: FramerLimits = {}) {
  const exact = new JsonFramer(limits);
  const lines = new LineFramer(limits);
  return {
    exact: shown(chunks.flatMap((c) => exact.push(c))),
    lines: shown(chunks.flatMap((c) => lines.push(c))),
  };
}

/** Lines as QEMU writes them, and near misses of every kind the fast path must hand over. */
const line = fc.oneof(
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.jsonValue().map((v) => JSON.stringify(v, null, 1).replace(/\n/g, " ")),
  fc.constantFrom(
    '{"return": {"status": "running", "singlestep": false, "running": true}, "id": 7}',
    '{"a": 1, "a": 2}',
    '{"a": {"b": 1, "b": 2}}',
    '{"k": ":v", "x": 1}',
    "{'execute': 'query-status'}",
    '{"s": "\\u0000"}',
    '{"s": "\\ud800"}',
    '{"s": "caf\u00e9"}',
    '{"s": "tab\there"}',
    '{"n": 01}',
    '{"n": 18446744073709551615}',
    '{"__proto__": {"x": 1}}',
    "[1, 2",
    "]",
    "{}}",
    '"str"',
    "-0",
    "1e400",
    "nul",
    "",
    "   ",
    '{"a": [[[[[[1]]]]]]}',
    "\x01",
  ),
);

const stream = fc
  .tuple(
    fc.array(fc.tuple(line, fc.constantFrom("\n", "\r\n", " ", "")), { maxLength: 8 }),
    fc.array(fc.nat()),
  )
  .map(([parts, cuts]) => {
    const bytes = Buffer.from(parts.map(([text, end]) => text + end).join(""), "utf8");
    const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
    const chunks: Buffer[] = [];
    let from = 0;
    for (const point of [...points, bytes.length]) {
      if (point > from) chunks.push(bytes.subarray(from, point));
      from = Math.max(from, point);
    }
    return chunks;
  });

describe("LineFramer agrees with JsonFramer", () => {
  it("on any stream of QEMU-like lines and near misses, split anywhere", () => {
    fc.assert(
      fc.property(stream, (chunks) => {
        const { exact, lines } = both(chunks);
        expect(lines).toEqual(exact);
      }),
      { numRuns: 2000 },
    );
  });

  it("on duplicate keys: QEMU's error, not JSON.parse's last value", () => {
    const { exact, lines } = both([Buffer.from('{"a": 1, "a": 2}\r\n{"b": 1}\n')]);
    expect(lines).toEqual(["error: JSON parse error, duplicate key", '{"b":1}']);
    expect(lines).toEqual(exact);
  });

  it("on the nesting limit of a long line", () => {
    const deep = `${"[".repeat(1100)}${"]".repeat(1100)}\n`;
    const { exact, lines } = both([Buffer.from(deep)]);
    expect(lines[0]).toBe("error: JSON nesting depth limit exceeded");
    expect(lines).toEqual(exact);
  });

  it("on a line longer than the message limit", () => {
    const long = `{"s": "${"x".repeat(100)}"}\n`;
    const { exact, lines } = both([Buffer.from(long)], { maxMessageBytes: 64 });
    expect(lines[0]).toBe("error: JSON token size limit exceeded");
    expect(lines).toEqual(exact);
  });
});

describe("LineFramer keeps the text of fast-parsed lines", () => {
  it("as written, without the line end; none for lines the exact framer parsed", () => {
    const framer = new LineFramer();
    const out = framer.push(
      Buffer.from('{"return": {"n": 18446744073709551615}, "id": 1}\r\n{"s": "\\n"}\n'),
    );
    expect(out.map((f) => f.text)).toEqual(['{"return": {"n": 18446744073709551615}, "id": 1}', undefined]);
  });
});
