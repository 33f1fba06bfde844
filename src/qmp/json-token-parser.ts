/**
 * Turns the tokens of one complete top-level JSON value into a value, or into the error text
 * QEMU's parser gives for it. Like QEMU, the first error found is the one reported.
 */

import type { Token } from "./json-lexer.ts";
import { decodeStringToken } from "./json-string.ts";
import type { JsonObject, JsonValue } from "./json-value.ts";
import { needsRecord, recordLiteral } from "./number-literal.ts";

export type ParseResult = { ok: true; value: JsonValue } | { ok: false; message: string };

class ParseFailure extends Error {}

function fail(message: string): never {
  throw new ParseFailure(`JSON parse error, ${message}`);
}

class TokenCursor {
  private index = 0;
  /** The objects and arrays being filled, outermost first: the ancestors of a recorded literal. */
  readonly open: object[] = [];
  /** The text of the number parseValue just returned, when it must be recorded (number-literal.ts). */
  literal: string | undefined;
  constructor(private readonly tokens: readonly Token[]) {}
  peek(): Token | undefined {
    return this.tokens[this.index];
  }
  pop(): Token {
    const token = this.tokens[this.index++];
    if (!token) fail("premature EOI");
    return token;
  }
}

function parseKeyword(token: Token): JsonValue {
  const word = token.bytes.toString("latin1");
  if (word === "true") return true;
  if (word === "false") return false;
  if (word === "null") return null;
  return fail(`invalid keyword '${word}'`);
}

function parseValue(cursor: TokenCursor): JsonValue {
  const token = cursor.peek();
  if (!token) fail("premature EOI");
  switch (token.type) {
    case "lcurly":
      return parseObject(cursor);
    case "lsquare":
      return parseArray(cursor);
    case "integer":
    case "float": {
      cursor.pop();
      const text = token.bytes.toString("latin1");
      cursor.literal = needsRecord(text, token.type === "float") ? text : undefined;
      return Number(text);
    }
    case "string": {
      cursor.pop();
      const decoded = decodeStringToken(token.bytes);
      return decoded.ok ? decoded.text : fail(decoded.message);
    }
    case "keyword":
      cursor.pop();
      return parseKeyword(token);
    default:
      return fail("expecting value");
  }
}

function parsePair(cursor: TokenCursor, target: JsonObject): void {
  const key = parseValue(cursor);
  if (typeof key !== "string") fail("key is not a string in object");
  if (cursor.pop().type !== "colon") fail("missing : in object pair");
  const value = parseValue(cursor);
  if (Object.hasOwn(target, key)) fail("duplicate key");
  keepLiteral(cursor, target, key, value);
  // Plain assignment of "__proto__" would change the prototype instead of adding a member.
  if (key === "__proto__")
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

/** Shared loop of objects and arrays: elements separated by commas up to the closing token. */
function parseSequence(
  cursor: TokenCursor,
  close: Token["type"],
  separatorError: string,
  element: () => void,
) {
  cursor.pop();
  if (cursor.peek()?.type === close) {
    cursor.pop();
    return;
  }
  if (!cursor.peek()) fail("premature EOI");
  element();
  for (let token = cursor.pop(); token.type !== close; token = cursor.pop()) {
    if (token.type !== "comma") fail(separatorError);
    element();
  }
}

/** A number member whose literal must be kept: recorded against its container (number-literal.ts). */
function keepLiteral(cursor: TokenCursor, container: object, key: string, value: JsonValue): void {
  if (typeof value === "number" && cursor.literal !== undefined)
    recordLiteral(container, key, cursor.literal, cursor.open);
}

function parseObject(cursor: TokenCursor): JsonObject {
  const result: JsonObject = {};
  cursor.open.push(result);
  parseSequence(cursor, "rcurly", "expected separator in dict", () => parsePair(cursor, result));
  cursor.open.pop();
  return result;
}

function parseArray(cursor: TokenCursor): JsonValue[] {
  const result: JsonValue[] = [];
  cursor.open.push(result);
  parseSequence(cursor, "rsquare", "expected separator in list", () => {
    const value = parseValue(cursor);
    keepLiteral(cursor, result, String(result.length), value);
    result.push(value);
  });
  cursor.open.pop();
  return result;
}

export function parseTokens(tokens: readonly Token[]): ParseResult {
  try {
    return { ok: true, value: parseValue(new TokenCursor(tokens)) };
  } catch (error) {
    if (error instanceof ParseFailure) return { ok: false, message: error.message };
    throw error;
  }
}
