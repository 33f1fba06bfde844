import { describe, expect, it } from "vitest";
import { UsageError } from "../../cli/exit-codes.ts";
import { parseCommandArguments, splitWords } from "../../cli/qmp-arguments.ts";
import { requestOf } from "../../cli/shell/shell-line.ts";

describe("key=value arguments (qmp-shell's syntax)", () => {
  it("reads values as JSON where they parse and as strings otherwise", () => {
    expect(
      parseCommandArguments(["n=1", "on=false", "x=null", "uri=tcp:127.0.0.1:4444", "s='42'", 'q="7"']),
    ).toEqual({
      n: 1,
      on: false,
      x: null,
      uri: "tcp:127.0.0.1:4444",
      s: "42",
      q: "7",
    });
  });

  it("nests dotted keys and refuses a key given twice or as both value and object", () => {
    expect(parseCommandArguments(["a.b.c=1", "a.d=2"])).toEqual({ a: { b: { c: 1 }, d: 2 } });
    expect(() => parseCommandArguments(["a=1", "a=2"])).toThrow(UsageError);
    expect(() => parseCommandArguments(["a=1", "a.b=2"])).toThrow(
      "argument 'a' is both a value and an object",
    );
  });

  it("splits a line at blanks outside quotes and brackets", () => {
    expect(splitWords(`blockdev-add node={"driver": "null-co", "x": [1, 2]} name='a b' t="c \\" d"`)).toEqual(
      ["blockdev-add", 'node={"driver": "null-co", "x": [1, 2]}', "name='a b'", 't="c \\" d"'],
    );
    expect(() => splitWords("x name='a")).toThrow("unterminated ' quote");
  });

  it("takes a whole QMP request in JSON, and HMP lines as human-monitor-command", () => {
    expect(requestOf('{"execute": "stop", "arguments": {}}', false)).toEqual({
      command: "stop",
      args: {},
      oob: false,
    });
    expect(requestOf("info status", true)).toEqual({
      command: "human-monitor-command",
      args: { "command-line": "info status" },
      oob: false,
    });
    expect(requestOf("   ", false)).toBeUndefined();
    expect(() => requestOf('{"arguments": {}}', false)).toThrow('needs "execute"');
  });
});
