import { describe, expect, it } from "vitest";
import { qdictHash } from "../../../src/qmp/qdict-order.ts";
import { formatG17, quoteString, toQemuJson } from "../../../src/qmp/qemu-json-writer.ts";

describe("QEMU's JSON output format", () => {
  it("orders members by QEMU's hash buckets (bytes as QEMU 7.2 sent them)", () => {
    expect(toQemuJson({ error: { class: "GenericError", desc: "x" }, id: 1 })).toBe(
      '{"id": 1, "error": {"class": "GenericError", "desc": "x"}}',
    );
    expect(toQemuJson({ id: 2, return: {} })).toBe('{"return": {}, "id": 2}');
    expect(toQemuJson({ running: true, status: "running", singlestep: false })).toBe(
      '{"status": "running", "singlestep": false, "running": true}',
    );
  });

  it("hashes keys as QEMU's tdb hash does (unsigned 32-bit)", () => {
    expect(qdictHash("") >>> 0).toBe(12345);
    expect(qdictHash("status") % 512).toBe(qdictHash("singlestep") % 512);
  });

  it("escapes like QEMU: upper-case \\u, surrogate pairs, '/' left alone", () => {
    expect(quoteString('a"\\/\n\u0001é😀\u007f')).toBe('"a\\"\\\\/\\n\\u0001\\u00E9\\uD83D\\uDE00\\u007F"');
  });

  it("prints non-integers as %.17g", () => {
    expect([0.1, 1.5, 1e300, 1e-7, -2.5].map(formatG17)).toEqual([
      "0.10000000000000001",
      "1.5",
      "1.0000000000000001e+300",
      "9.9999999999999995e-08",
      "-2.5",
    ]);
    expect(toQemuJson([3, -7, 2 ** 60])).toBe("[3, -7, 1152921504606846976]");
  });
});
