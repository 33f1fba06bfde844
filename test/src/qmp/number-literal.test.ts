/**
 * Number literals through framing, validation and writing, without QEMU: what QEMU 7.2 answered
 * (test/fixtures/qemu-7.2-number-literals.json) is what a jobshim server in front of a fake
 * QEMU answers, and properties over the whole int64/uint64 range and over float spellings.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { QmpArgumentValidator } from "../../../src/qmp/argument-validator.ts";
import { JsonFramer } from "../../../src/qmp/json-framer.ts";
import { isJsonObject, type JsonObject, type JsonValue } from "../../../src/qmp/json-value.ts";
import {
  copyLiteral,
  hasLiterals,
  literalOf,
  pickMembers,
  qemuNumberOf,
  stringifyExact,
} from "../../../src/qmp/number-literal.ts";
import { LineFramer } from "../../../src/qmp/plain-line.ts";
import { toQemuJson } from "../../../src/qmp/qemu-json-writer.ts";
import { QmpServer } from "../../../src/qmp/server.ts";
import { QmpCommandError } from "../../../src/qmp/server-session.ts";
import { RawQmpSession } from "../../helpers/raw-qmp-session.ts";
import { FIXTURE, NUMBER_CASES, type NumberFixture } from "./number-literal-cases.ts";

/** The one value a framer yields for `text` (one line). */
function frame(text: string, framer: { push(chunk: Buffer): { ok: boolean }[] }): JsonObject {
  const [framed, ...rest] = framer.push(Buffer.from(`${text}\n`));
  expect(rest).toEqual([]);
  if (!framed || !("value" in framed) || !isJsonObject(framed.value)) throw new Error(`not framed: ${text}`);
  return framed.value;
}

const exactLine = () => new LineFramer({}, { exactNumbers: true });

describe("number literals are recorded by the framer", () => {
  it("keeps float literals and long integers, not short integers", () => {
    for (const framer of [new JsonFramer(), exactLine()]) {
      const value = frame(
        '{"a":1.0,"b":1e3,"c":9007199254740993,"d":5,"e":[0.5,7,-12345678901234567]}',
        framer,
      );
      expect([literalOf(value, "a"), literalOf(value, "b"), literalOf(value, "c")]).toEqual([
        "1.0",
        "1e3",
        "9007199254740993",
      ]);
      expect(literalOf(value, "d")).toBeUndefined();
      const list = value.e as JsonValue[];
      expect([literalOf(list, "0"), literalOf(list, "1"), literalOf(list, "2")]).toEqual([
        "0.5",
        undefined,
        "-12345678901234567",
      ]);
      expect(hasLiterals(value) && hasLiterals(list)).toBe(true);
    }
  });

  it("leaves plain lines on the fast path, and records nothing there", () => {
    const value = frame('{"execute":"x","arguments":{"n":12,"s":"disk1"}}', exactLine());
    expect(hasLiterals(value)).toBe(false);
    // Without exactNumbers (a client reading QEMU), JSON.parse's blur is accepted for speed.
    expect(hasLiterals(frame('{"a":1.0}', new LineFramer()))).toBe(false);
  });

  it("marks every container above a literal, and only those", () => {
    const value = frame('{"x":{"y":[{"z":1e0}]},"w":{"v":1}}', exactLine());
    const x = value.x as JsonObject;
    const y = x.y as JsonObject[];
    expect([hasLiterals(value), hasLiterals(x), hasLiterals(y), hasLiterals(y[0])]).toEqual([
      true,
      true,
      true,
      true,
    ]);
    expect(hasLiterals(value.w)).toBe(false);
  });

  it("reads literals as QEMU's parser does", () => {
    expect(qemuNumberOf(1, "1.0")).toEqual({ kind: "double", value: 1 });
    expect(qemuNumberOf(2 ** 63, "9223372036854775807")).toEqual({ kind: "int64", value: 2n ** 63n - 1n });
    expect(qemuNumberOf(2 ** 63, "9223372036854775808")).toEqual({ kind: "uint64", value: 2n ** 63n });
    expect(qemuNumberOf(2 ** 64, "18446744073709551616")).toEqual({ kind: "double", value: 2 ** 64 });
    expect(qemuNumberOf(-(2 ** 63), "-9223372036854775809").kind).toBe("double");
    expect(qemuNumberOf(7, undefined)).toEqual({ kind: "int64", value: 7n });
    expect(qemuNumberOf(0.5, undefined).kind).toBe("double");
  });

  it("writes recorded literals exactly, for forwarding and in QEMU's format", () => {
    const value = frame(
      '{"execute":"x","arguments":{"a":9007199254740993,"b":1e3,"c":[1.0,2]},"id":1e18}',
      exactLine(),
    );
    const args = value.arguments as JsonObject;
    expect(stringifyExact({ execute: "x", arguments: args })).toBe(
      '{"execute":"x","arguments":{"a":9007199254740993,"b":1e3,"c":[1.0,2]}}',
    );
    expect(stringifyExact({ a: 1, b: "2" })).toBe(JSON.stringify({ a: 1, b: "2" }));
    expect(toQemuJson(args.c as JsonValue[])).toBe("[1, 2]");
    const reply: JsonObject = { return: {}, id: value.id as number };
    expect(toQemuJson(reply)).toBe('{"return": {}, "id": 1000000000000000000}');
    copyLiteral(value, "id", reply, "id");
    expect(toQemuJson(reply)).toBe('{"return": {}, "id": 1e+18}');
  });
});

const INT64 = [-(2n ** 63n), 2n ** 63n - 1n] as const;
const UINT64_MAX = 2n ** 64n - 1n;

/** Float spellings: digits with a fraction, an exponent, or both (every one QEMU calls a double). */
const floatLiteral = fc
  .tuple(
    fc.boolean(),
    fc.bigInt({ min: 0n, max: UINT64_MAX * 10n }),
    fc.option(fc.stringMatching(/^[0-9]{1,5}$/), { nil: undefined }),
    fc.option(
      fc.tuple(fc.constantFrom("e", "E"), fc.constantFrom("", "+", "-"), fc.integer({ min: 0, max: 30 })),
      {
        nil: undefined,
      },
    ),
  )
  // QEMU's lexer ends a number at `0` unless a `.` follows, so `0e5` is not a float to it.
  .filter(
    ([, whole, fraction, exponent]) => fraction !== undefined || (exponent !== undefined && whole !== 0n),
  )
  .map(
    ([negative, whole, fraction, exponent]) =>
      `${negative ? "-" : ""}${whole}${fraction === undefined ? "" : `.${fraction}`}${exponent ? exponent.join("") : ""}`,
  );

describe("properties", () => {
  const validator = new QmpArgumentValidator();
  const check = (command: string, argsText: string, split: boolean) => {
    const line = `{"execute":"${command}","arguments":${argsText}}`;
    const framer = split ? new JsonFramer() : exactLine();
    let args: JsonObject | undefined;
    if (split) {
      for (const byte of Buffer.from(line)) {
        const [framed] = framer.push(Buffer.from([byte]));
        if (framed && "value" in framed && isJsonObject(framed.value))
          args = framed.value.arguments as JsonObject;
      }
    } else args = frame(line, framer).arguments as JsonObject;
    if (!args) throw new Error(`no arguments framed from ${line}`);
    return { args, error: validator.validate(command, args)?.desc };
  };

  it("any int64/uint64 integer literal round-trips exactly through framer and writers", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: INT64[0], max: UINT64_MAX }), fc.boolean(), (n, split) => {
        const { args } = check("x", `{"n":${n},"l":[${n}]}`, split);
        expect(stringifyExact(args)).toBe(`{"n":${n},"l":[${n}]}`);
        expect(toQemuJson({ n: args.n as number })).not.toBe("");
        expect(toQemuJson(args.l as JsonValue[])).toBe(`[${n}]`);
        const single = check("x", `{"n":${n}}`, split).args;
        expect(toQemuJson(single)).toBe(`{"n": ${n}}`);
      }),
      { numRuns: 300 },
    );
  });

  it("any float literal for an integer member is refused with QEMU's text", () => {
    fc.assert(
      fc.property(floatLiteral, fc.boolean(), (text, split) => {
        expect(check("block-job-set-speed", `{"device":"d","speed":${text}}`, split).error).toBe(
          "Invalid parameter type for 'speed', expected: integer",
        );
        expect(check("migrate-set-parameters", `{"max-bandwidth":${text}}`, split).error).toBe(
          "Parameter 'max-bandwidth' expects uint64",
        );
      }),
      { numRuns: 300 },
    );
  });

  it("an integer literal is taken exactly where QEMU takes it", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 66n), max: 2n ** 66n }), (n) => {
        const signed = check("block-job-set-speed", `{"device":"d","speed":${n}}`, false).error;
        expect(signed).toBe(
          n >= INT64[0] && n <= INT64[1]
            ? undefined
            : "Invalid parameter type for 'speed', expected: integer",
        );
        const unsigned = check("migrate-set-parameters", `{"max-bandwidth":${n}}`, false).error;
        expect(unsigned).toBe(
          n >= INT64[0] && n <= UINT64_MAX ? undefined : "Parameter 'max-bandwidth' expects uint64",
        );
      }),
      { numRuns: 300 },
    );
  });
});

/**
 * A jobshim server (generated validator) in front of a fake QEMU that answers each forwarded
 * request with what real QEMU 7.2 answered to the same request. The fake is keyed by the
 * forwarded arguments' exact text, so forwarding must reproduce the client's bytes; refusals
 * QEMU makes while reading arguments must come from jobshim's validator, never the fake.
 */
describe("a jobshim server answers the recorded cases as QEMU 7.2 did", () => {
  const fixture = JSON.parse(readFileSync(FIXTURE, "utf8")) as NumberFixture;
  let server: QmpServer;
  let dir: string;
  let session: RawQmpSession;
  const reached: string[] = [];

  const argumentsText = (sent: string) => {
    const start = sent.indexOf('"arguments":');
    return start < 0 ? "{}" : sent.slice(start + '"arguments":'.length, sent.lastIndexOf(',"id"'));
  };

  beforeAll(async () => {
    // In recorded order per request text: a repeated query answers as QEMU did each time.
    const answers = new Map<string, string[]>();
    for (const e of fixture.exchanges) {
      const key = `${JSON.parse(e.sent).execute} ${argumentsText(e.sent)}`;
      answers.set(key, [...(answers.get(key) ?? []), e.reply]);
    }
    server = new QmpServer({
      handlers: {},
      fallback: (command) => (args) => {
        const key = `${command} ${stringifyExact(args)}`;
        reached.push(key);
        const reply = answers.get(key)?.shift();
        if (reply === undefined)
          throw new QmpCommandError("GenericError", `fake QEMU: nothing recorded for ${key}`);
        // Only the answer matters here: the trailing id may be `inf`, which no JSON parser reads.
        const framed = frame(reply.replace(/, "id": [^{}]*\}$/, "}"), new JsonFramer());
        const error = framed.error as { class: string; desc: string } | undefined;
        if (error) throw new QmpCommandError(error.class, error.desc);
        return framed.return as JsonValue;
      },
      validate: new QmpArgumentValidator().validate,
    });
    dir = mkdtempSync(path.join(tmpdir(), "jobshim-numbers-"));
    await server.listen(`unix:${path.join(dir, "s.sock")}`);
    session = await RawQmpSession.open(path.join(dir, "s.sock"));
    await session.exchange(undefined, 1);
    await session.exchange('{"execute":"qmp_capabilities"}', 1);
  });
  afterAll(async () => {
    session?.close();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("byte for byte, the visitor's refusals made by jobshim itself", async () => {
    expect(fixture.exchanges.map((e) => e.sent)).toEqual(NUMBER_CASES);
    const mismatches: { sent: string; qemu: string; jobshim: string }[] = [];
    for (const { sent, reply } of fixture.exchanges) {
      const before = reached.length;
      const [ours = ""] = await session.exchange(`${sent}\n`, 1);
      if (ours !== reply) mismatches.push({ sent, qemu: reply, jobshim: ours });
      const visitorRefusal = /"desc": "(Parameter '[^']*' expects u?int|Invalid parameter type)/.test(reply);
      if (visitorRefusal && reached.length !== before)
        mismatches.push({ sent, qemu: reply, jobshim: "forwarded" });
    }
    expect(mismatches).toEqual([]);
  });
});

describe("pickMembers", () => {
  it("keeps the records of the members it copies", () => {
    const args = frame('{"max-bandwidth":9007199254740993,"downtime-limit":1.0,"uri":"x"}', exactLine());
    const picked = pickMembers(args, ["max-bandwidth", "downtime-limit", "absent"]);
    expect(stringifyExact(picked)).toBe('{"max-bandwidth":9007199254740993,"downtime-limit":1.0}');
    expect(stringifyExact({ ...args })).toBe(
      '{"max-bandwidth":9007199254740992,"downtime-limit":1,"uri":"x"}',
    );
  });
});
