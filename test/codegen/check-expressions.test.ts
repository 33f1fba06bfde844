/**
 * Shape checks, one small schema per rule, with QEMU 7.2's exact message. Cases QEMU's parser
 * corpus covers are in qemu-corpus.test.ts; these are the rules it does not reach (written
 * fresh, after the rules of QEMU's expr.py) and our own additions.
 */
import { describe, expect, it } from "vitest";
import { checkExpressions } from "../../codegen/check-expressions.ts";
import { parseSchemaSource } from "../../codegen/parse.ts";
import { SchemaError } from "../../codegen/source-info.ts";

/** Runs the shape checks on an inline schema; returns the error message, or "" when it passes. */
function check(source: string): string {
  try {
    checkExpressions(parseSchemaSource(source, "t.json"));
    return "";
  } catch (error) {
    if (!(error instanceof SchemaError)) throw error;
    return error.message;
  }
}

const rejected: [string, string, string][] = [
  // names
  ["type name with q_ prefix", "{ 'struct': 'q_obj_x', 'data': {} }", "struct has an invalid name"],
  ["command name with a space", "{ 'command': 'a b' }", "command has an invalid name"],
  ["event in lower case", "{ 'event': 'EVENT_a' }", "name of event must not use lowercase or '-'"],
  ["command with upper case", "{ 'command': 'Cmd' }", "name of command must not use uppercase or '_'"],
  ["command with underscore", "{ 'command': 'my_cmd' }", "name of command must not use uppercase or '_'"],
  ["type not CamelCase", "{ 'enum': 'ALLCAPS', 'data': [] }", "name of enum must use CamelCase"],
  ["type named *List", "{ 'enum': 'ThingList', 'data': [] }", "enum name should not end in 'List'"],
  ["name not a string", "{ 'enum': ['E'], 'data': [] }", "'enum' requires a string name"],
  ["member named u", "{ 'struct': 'Foo', 'data': { 'u': 'int' } }", "'data' member 'u' uses reserved name"],
  [
    "member named has_x",
    "{ 'command': 'c', 'data': { '*has-x': 'int' } }",
    "'data' member '*has-x' uses reserved name",
  ],
  [
    "member with bad name",
    "{ 'struct': 'Foo', 'data': { 'a.b': 'int' } }",
    "'data' member 'a.b' has an invalid name",
  ],
  // keys
  [
    "no meta key",
    "{ 'data': {} }",
    "expression must have exactly one key 'enum', 'struct', 'union', 'alternate', 'command', 'event', 'state-machine'",
  ],
  ["missing data", "{ 'struct': 'Foo' }", "struct misses key 'data'"],
  ["union missing keys", "{ 'union': 'Uni', 'data': {} }", "union misses keys 'base', 'discriminator'"],
  [
    "one unknown key",
    "{ 'event': 'E', 'returns': 'Foo' }",
    "event has unknown key 'returns'\nValid keys are 'boxed', 'data', 'event', 'features', 'if'.",
  ],
  [
    "member unknown key",
    "{ 'struct': 'Foo', 'data': { 'a': { 'type': 'int', 'default': 'x' } } }",
    "'data' member 'a' has unknown key 'default'\nValid keys are 'features', 'if', 'type'.",
  ],
  [
    "member without type",
    "{ 'struct': 'Foo', 'data': { 'a': { 'if': 'X' } } }",
    "'data' member 'a' misses key 'type'",
  ],
  // conditions
  [
    "if not a string or object",
    "{ 'struct': 'Foo', 'data': {}, 'if': ['A'] }",
    "'if' condition of struct must be a string or an object",
  ],
  [
    "if lower case",
    "{ 'struct': 'Foo', 'data': {}, 'if': 'config_x' }",
    "'if' condition 'config_x' of struct is not a valid identifier",
  ],
  [
    "if unknown operator",
    "{ 'struct': 'Foo', 'data': {}, 'if': { 'xor': ['A'] } }",
    "'if' condition of struct has unknown key 'xor'\nValid keys are 'all', 'any', 'not'.",
  ],
  [
    "if any empty",
    "{ 'struct': 'Foo', 'data': {}, 'if': { 'any': [] } }",
    "'if' condition [] of struct is useless",
  ],
  [
    "if nested bad",
    "{ 'struct': 'Foo', 'data': {}, 'if': { 'not': { 'all': [ 'A', 'b' ] } } }",
    "'if' condition 'b' of struct is not a valid identifier",
  ],
  [
    "if empty object",
    "{ 'struct': 'Foo', 'data': {}, 'if': {} }",
    "'if' condition of struct has conflicting keys",
  ],
  [
    "if on a member",
    "{ 'command': 'c', 'data': { 'a': { 'type': 'int', 'if': '' } } }",
    "'if' condition '' of 'data' member 'a' is not a valid identifier",
  ],
  // features
  [
    "features not an array",
    "{ 'struct': 'Foo', 'data': {}, 'features': 'f' }",
    "'features' must be an array",
  ],
  [
    "feature bad name",
    "{ 'struct': 'Foo', 'data': {}, 'features': [ 'a b' ] }",
    "'features' member 'a b' has an invalid name",
  ],
  [
    "feature if bad",
    "{ 'command': 'c', 'features': [ { 'name': 'f', 'if': 'x' } ] }",
    "'if' condition 'x' of 'features' member 'f' is not a valid identifier",
  ],
  [
    "member feature unknown key",
    "{ 'struct': 'Foo', 'data': { 'a': { 'type': 'int', 'features': [ { 'name': 'f', 'x': 'y' } ] } } }",
    "'features' member has unknown key 'x'\nValid keys are 'if', 'name'.",
  ],
  [
    "enum value feature",
    "{ 'enum': 'Enu', 'data': [ { 'name': 'v', 'features': [ true ] } ] }",
    "'features' member requires a string name",
  ],
  // types
  [
    "array of two",
    "{ 'struct': 'Foo', 'data': { 'a': [ 'int', 'str' ] } }",
    "'data' member 'a': array type must contain single type name",
  ],
  ["base as array", "{ 'struct': 'Foo', 'data': {}, 'base': [ 'B' ] }", "'base' cannot be an array"],
  ["base inline", "{ 'struct': 'Foo', 'data': {}, 'base': { 'a': 'int' } }", "'base' should be a type name"],
  ["boxed without data", "{ 'command': 'c', 'boxed': true }", "'boxed': true requires 'data'"],
  [
    "boxed inline data",
    "{ 'event': 'E', 'boxed': true, 'data': { 'a': 'int' } }",
    "'data' should be a type name",
  ],
  ["returns inline", "{ 'command': 'c', 'returns': { 'a': 'int' } }", "'returns' should be a type name"],
  ["event data array", "{ 'event': 'E', 'data': [ 'Foo' ] }", "'data' cannot be an array"],
  [
    "union branch array",
    "{ 'union': 'Uni', 'base': 'Base', 'discriminator': 'k', 'data': { 'a': [ 'Foo' ] } }",
    "'data' member 'a' cannot be an array",
  ],
  [
    "union discriminator not a string",
    "{ 'union': 'Uni', 'base': 'Base', 'discriminator': [], 'data': {} }",
    "'discriminator' requires a string name",
  ],
  ["alternate data a string", "{ 'alternate': 'Alt', 'data': 'Foo' }", "'data' must be an object"],
  [
    "alternate member upper",
    "{ 'alternate': 'Alt', 'data': { 'One': 'int' } }",
    "name of 'data' member 'One' must not use uppercase or '_'",
  ],
  [
    "alternate branch inline",
    "{ 'alternate': 'Alt', 'data': { 'a': { 'type': { 'x': 'int' } } } }",
    "'data' member 'a' should be a type name",
  ],
  // enums
  [
    "enum value not a string",
    "{ 'enum': 'Enu', 'data': [ [ 'v' ] ] }",
    "'data' member requires a string name",
  ],
  [
    "enum value without name",
    "{ 'enum': 'Enu', 'data': [ { 'if': 'X' } ] }",
    "'data' member misses key 'name'",
  ],
  [
    "enum value with underscore",
    "{ 'enum': 'Enu', 'data': [ 'a_b' ] }",
    "name of 'data' member 'a_b' must not use uppercase or '_'",
  ],
  ["enum value invalid", "{ 'enum': 'Enu', 'data': [ '-x' ] }", "'data' member '-x' has an invalid name"],
  // flags
  ["gen true", "{ 'command': 'c', 'gen': true }", "flag 'gen' may only use false value"],
  [
    "success-response string",
    "{ 'command': 'c', 'success-response': 'no' }",
    "flag 'success-response' may only use false value",
  ],
  ["coroutine false", "{ 'command': 'c', 'coroutine': false }", "flag 'coroutine' may only use true value"],
  [
    "oob and coroutine",
    "{ 'command': 'c', 'allow-oob': true, 'coroutine': true }",
    "flags 'allow-oob' and 'coroutine' are incompatible",
  ],
  // docs
  [
    "doc required",
    "{ 'pragma': { 'doc-required': true } }\n{ 'command': 'c' }",
    "documentation comment required",
  ],
];

describe("checkExpressions rejects", () => {
  it.each(rejected)("%s", (_what, source, message) => {
    const got = check(source);
    // The message proper follows the last "FILE:LINE:COL: " of the first located line.
    expect(got.replace(/^[\s\S]*?t\.json:\d+(:\d+)?: /, "")).toBe(message);
  });
});

const accepted: [string, string][] = [
  [
    "downstream and experimental prefixes",
    "{ 'command': '__com.example_x-do-it' }\n{ 'struct': 'x-Thing', 'data': {} }",
  ],
  ["enum values starting with a digit", "{ 'enum': 'Res', 'data': [ '1080p', '720p' ] }"],
  [
    "member-name-exceptions",
    "{ 'pragma': { 'member-name-exceptions': [ 'Foo', 'Enu' ] } }\n{ 'struct': 'Foo', 'data': { 'Cap_Name': 'int' } }\n{ 'enum': 'Enu', 'data': [ 'A_B' ] }",
  ],
  [
    "command-name-exceptions",
    "{ 'pragma': { 'command-name-exceptions': [ 'my_cmd' ] } }\n{ 'command': 'my_cmd' }",
  ],
  [
    "every flag",
    "{ 'command': 'c', 'data': 'Foo', 'boxed': true, 'gen': false, 'success-response': false, 'allow-preconfig': true, 'coroutine': true }",
  ],
  [
    "nested conditions",
    "{ 'struct': 'Foo', 'data': {}, 'if': { 'all': [ 'A', { 'not': { 'any': [ 'B', 'C' ] } } ] } }",
  ],
  [
    "features as strings and objects",
    "{ 'struct': 'Foo', 'data': {}, 'features': [ 'a', { 'name': 'b', 'if': 'X' } ] }",
  ],
  ["alternate with an array branch", "{ 'alternate': 'Alt', 'data': { 'one': [ 'int' ], 'two': 'str' } }"],
  ["returns array", "{ 'command': 'c', 'returns': [ 'Foo' ] }"],
];

describe("checkExpressions accepts", () => {
  it.each(accepted)("%s", (_what, source) => {
    expect(check(source)).toBe("");
  });
});

describe("error locations", () => {
  it("names the definition and keeps its line", () => {
    const got = check("{ 'enum': 'Enu', 'data': [] }\n{ 'command': 'c',\n  'data': { 'Bad': 'int' } }");
    expect(got).toBe(
      "t.json: In command 'c':\nt.json:2:1: name of 'data' member 'Bad' must not use uppercase or '_'",
    );
  });

  it("points at the member's column when it is on the definition's line", () => {
    const got = check("{ 'struct': 'Foo', 'data': { 'ok': 'int', 'Bad': 'int' } }");
    expect(got).toBe(
      "t.json: In struct 'Foo':\nt.json:1:43: name of 'data' member 'Bad' must not use uppercase or '_'",
    );
  });

  it("reports a doc comment for another definition", () => {
    const got = check("##\n# @Other:\n##\n{ 'command': 'c' }");
    expect(got).toMatch(/documentation comment is for 'Other'|documentation for 'Other'/);
  });
});

describe("state-machine expressions", () => {
  it("are recognised as a meta and handed to the extension's own checks", () => {
    const got = check("{ 'state-machine': 'Mach', 'states': 'S' }");
    expect(got).toBe("t.json: In state-machine 'Mach':\nt.json:1:1: state-machine misses key 'transitions'");
  });
});
