/**
 * The types every schema starts with, in the order QEMU 7.2 predefines them: each built-in scalar
 * followed at once by its array type, then the empty object `q_empty` (the type of union branches
 * the schema leaves out), then the `QType` enum (the JSON type tags alternates dispatch on).
 */
import type { QapiDialect } from "./dialect.ts";
import type { BuiltinType, EnumType, JsonType, ObjectType } from "./ir.ts";

const signed = (bits: number) => ({ min: -(2n ** BigInt(bits - 1)), max: 2n ** BigInt(bits - 1) - 1n });
const unsigned = (bits: number) => ({ min: 0n, max: 2n ** BigInt(bits) - 1n });

const SCALARS: [string, JsonType, { min: bigint; max: bigint } | undefined][] = [
  ["str", "string", undefined],
  ["number", "number", undefined],
  ["int", "int", signed(64)],
  ["int8", "int", signed(8)],
  ["int16", "int", signed(16)],
  ["int32", "int", signed(32)],
  ["int64", "int", signed(64)],
  ["uint8", "int", unsigned(8)],
  ["uint16", "int", unsigned(16)],
  ["uint32", "int", unsigned(32)],
  ["uint64", "int", unsigned(64)],
  ["size", "int", unsigned(64)],
  ["bool", "boolean", undefined],
  ["any", "value", undefined],
  ["null", "null", undefined],
];

export const QTYPE_VALUES = ["none", "qnull", "qnum", "qstring", "qdict", "qlist", "qbool"] as const;

export const EMPTY_OBJECT = "q_empty";

const common = { info: undefined, if: undefined, features: [], doc: undefined };

export function builtinScalars(): BuiltinType[] {
  return SCALARS.map(([name, jsonType, range]) => ({
    ...common,
    features: [],
    meta: "builtin",
    name,
    jsonType,
    ...(range ? { range } : {}),
  }));
}

export function emptyObject(): ObjectType {
  return {
    ...common,
    features: [],
    meta: "object",
    name: EMPTY_OBJECT,
    base: undefined,
    localMembers: [],
    members: [],
    variants: undefined,
    implicit: true,
    kind: "implicit",
  };
}

/** QEMU 7.2 gave QType the C prefix QTYPE; 10.0 derives the same prefix and declares none. */
export function qtypeEnum(dialect: QapiDialect): EnumType {
  return {
    ...common,
    features: [],
    meta: "enum",
    name: "QType",
    members: QTYPE_VALUES.map((name) => ({ name, if: undefined, features: [], info: undefined })),
    prefix: dialect === "7.2" ? "QTYPE" : undefined,
  };
}
