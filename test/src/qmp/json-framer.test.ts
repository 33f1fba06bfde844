import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Framed, JsonFramer } from "../../../src/qmp/json-framer.ts";
import type { JsonValue } from "../../../src/qmp/json-value.ts";

const values = (framed: Framed[]) => framed.map((f) => (f.ok ? f.value : `error: ${f.message}`));
const frameAll = (input: string | Buffer, limits = {}) => values(new JsonFramer(limits).push(input));

describe("JsonFramer splits a stream of JSON values, not lines", () => {
  it("finds several values in one chunk and one value across lines", () => {
    expect(frameAll('{"a":1}{"b":[2,3]}\n{"c":\n {"d":\n"e"}}')).toEqual([
      { a: 1 },
      { b: [2, 3] },
      { c: { d: "e" } },
    ]);
  });

  it("keeps a value split over chunks, even inside strings and escapes", () => {
    const framer = new JsonFramer();
    const parts = ['{"x": "a{b', '}\\"c\\', 'u00e9"', ", 'y': 'it\\'s'}"];
    const results = parts.flatMap((part) => framer.push(part));
    expect(values(results)).toEqual([{ x: 'a{b}"cé', y: "it's" }]);
    expect(framer.pendingBytes).toBe(0);
  });

  it("accepts numbers, keywords and unicode as QEMU does", () => {
    expect(frameAll('[0, -1, 2.5, 1e3, -0.5E-2, true, false, null, "\\ud83d\\ude00", "é"]')).toEqual([
      [0, -1, 2.5, 1000, -0.005, true, false, null, "😀", "é"],
    ]);
  });

  it("treats a top-level scalar as a complete value (QMP then refuses it)", () => {
    expect(frameAll('5 "s" [1]')).toEqual([5, "s", [1]]);
  });

  it("does not let a member named __proto__ change the prototype", () => {
    const [value] = frameAll('{"__proto__": {"polluted": true}}') as [Record<string, JsonValue>];
    expect(Object.keys(value)).toEqual(["__proto__"]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe("JsonFramer reports bad input in QEMU's words and carries on", () => {
  it.each([
    ["xyz\n", "JSON parse error, invalid keyword 'xyz'"],
    ["}", "JSON parse error, expecting value"],
    ['{"a" 1}', "JSON parse error, missing : in object pair"],
    ['{"a":1 "b":2}', "JSON parse error, expected separator in dict"],
    ["[1 2]", "JSON parse error, expected separator in list"],
    ['{"a":1,"a":2}', "JSON parse error, duplicate key"],
    ["{1:2}", "JSON parse error, key is not a string in object"],
    ['{"a":}', "JSON parse error, expecting value"],
    ['["\\q"]', "JSON parse error, invalid escape sequence in string"],
    ['["\\ud800"]', "JSON parse error, \\ud800 is not a valid Unicode character"],
    ['["\\uffff"]', "JSON parse error, \\uffff is not a valid Unicode character"],
    [Buffer.from([0x5b, 0x22, 0xc0, 0xaf, 0x22, 0x5d]), "JSON parse error, invalid UTF-8 sequence in string"],
    ["@", "JSON parse error, stray '@'"],
  ])("%s", (input, message) => {
    expect(frameAll(input)).toEqual([`error: ${message}`]);
  });

  it("resynchronises after a stray byte at the next structural character", () => {
    expect(frameAll('@garbage{"ok":1}')).toEqual(["error: JSON parse error, stray '@'", { ok: 1 }]);
  });

  it("reports a leading zero as a stray token, then the orphaned ']'", () => {
    expect(frameAll("[01]")).toEqual([
      "error: JSON parse error, stray '01'",
      "error: JSON parse error, expecting value",
    ]);
  });

  it("drops a partial value when a stray byte interrupts it", () => {
    expect(frameAll('{"a": \x01 {"b":2}')).toEqual(["error: JSON parse error, stray '\x01'", { b: 2 }]);
  });

  it("ends a value at a closer without its opener, as QEMU 7.2 answers '[}]' (two errors)", () => {
    const framer = new JsonFramer();
    expect(values(framer.push("[}"))).toEqual(["error: JSON parse error, expecting value"]);
    expect(values(framer.push("]"))).toEqual(["error: JSON parse error, expecting value"]);
  });

  it("shows a NUL byte's stray text as QEMU's C string does: empty", () => {
    expect(frameAll("\u0000")).toEqual(["error: JSON parse error, stray ''"]);
  });

  it("shows a truncated \\u escape with the closing quote, as QEMU does", () => {
    expect(frameAll('["\\u12"]')).toEqual([
      'error: JSON parse error, \\u12" is not a valid Unicode character',
    ]);
  });

  it("bounds memory: an oversized value is dropped with QEMU's error and the next one still works", () => {
    const big = `{"x": "${"a".repeat(200)}"}`;
    // The value's closing brace is then an orphan, as in QEMU.
    expect(frameAll(`${big}{"y":1}`, { maxMessageBytes: 100 })).toEqual([
      "error: JSON token size limit exceeded",
      "error: JSON parse error, expecting value",
      { y: 1 },
    ]);
    const framer = new JsonFramer({ maxMessageBytes: 100 });
    for (let i = 0; i < 10; i++) framer.push('"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa');
    expect(framer.pendingBytes).toBeLessThanOrEqual(100);
  });

  it("limits nesting depth like QEMU (1024)", () => {
    expect(frameAll("[".repeat(1025))).toEqual(["error: JSON nesting depth limit exceeded"]);
    expect(frameAll(`${"[".repeat(1024)}${"]".repeat(1024)}`)).toHaveLength(1);
  });
});

const jsonValue = fc.jsonValue({ maxDepth: 4 }) as fc.Arbitrary<JsonValue>;
const message = fc.dictionary(fc.string({ maxLength: 8 }), jsonValue, { maxKeys: 4 });

describe("JsonFramer property", () => {
  it("yields the same messages for any split of a valid stream into chunks", () => {
    fc.assert(
      fc.property(
        fc.array(message, { minLength: 1, maxLength: 5 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        fc.constantFrom("", "\n", "\r\n", " "),
        (messages, cuts, separator) => {
          const bytes = Buffer.from(messages.map((m) => JSON.stringify(m)).join(separator), "utf8");
          const positions = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
          const framer = new JsonFramer();
          const got: Framed[] = [];
          let start = 0;
          for (const at of [...positions, bytes.length]) {
            got.push(...framer.push(bytes.subarray(start, at)));
            start = at;
          }
          // JSON.stringify turns -0 into 0; compare through the same lens.
          expect(values(got)).toEqual(messages.map((m) => JSON.parse(JSON.stringify(m))));
        },
      ),
      { numRuns: 300 },
    );
  });
});
