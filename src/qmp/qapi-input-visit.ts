/**
 * Replays QEMU 7.2's QObject input visitor over a command's arguments, guided by the generated
 * input JSON Schema, and returns the first error QEMU would report, worded as QEMU words it.
 * QEMU visits members in schema order (base, then the branch the tag selects), names nested
 * places 'a.b' and 'a[0]', and only after a whole object asks which member was left over.
 *
 * The JSON Schema carries every fact needed: integer widths come back from the bounds the
 * codegen wrote (uint8 is 0..255), alternate names from their `$ref`.
 */
import { GStrHashTable } from "./glib-hash-order.ts";
import { isJsonObject, type JsonObject, type JsonValue } from "./json-value.ts";
import { literalOf, type QemuNumber, qemuNumberOf } from "./number-literal.ts";
import { qdictBucket } from "./qdict-order.ts";

export type SchemaNode = { readonly [keyword: string]: unknown };

/** Finds the definition a `$ref` points to (`urn:...#/definitions/Name` or `#/definitions/Name`). */
export type RefResolver = (ref: string) => SchemaNode;

/** Where a value sits: QEMU's full name for most errors, the bare member name for some. */
interface Place {
  full: string;
  /** The name the visitor was called with: the member name, or null inside a list. */
  bare: string | null;
}

class Rejection {
  constructor(readonly desc: string) {}
}

const TWO_63 = 2 ** 63;
const TWO_64 = 2 ** 64;
const BIG_TWO_64 = 2n ** 64n;

export function firstQemuError(root: SchemaNode, args: JsonObject, resolve: RefResolver): string | undefined {
  try {
    new Visitor(resolve).members(root, args, "");
    return undefined;
  } catch (thrown) {
    if (thrown instanceof Rejection) return thrown.desc;
    throw thrown;
  }
}

const typeError = (place: Place, expected: string) =>
  new Rejection(`Invalid parameter type for '${place.full}', expected: ${expected}`);

const bare = (place: Place) => place.bare ?? "null";

class Visitor {
  constructor(private readonly resolve: RefResolver) {}

  /** An object's members, then the leftover check, as visit_start_struct..visit_check_struct. */
  members(schema: SchemaNode, value: JsonObject, prefix: string): void {
    const unvisited = leftoverTracker(value);
    this.memberList(this.deref(schema), value, prefix, unvisited);
    const [extra] = unvisited.keysInOrder();
    if (extra !== undefined) throw new Rejection(`Parameter '${prefix}${extra}' is unexpected`);
  }

  private memberList(schema: SchemaNode, value: JsonObject, prefix: string, unvisited: GStrHashTable): void {
    const parts = Array.isArray(schema.allOf) ? (schema.allOf as SchemaNode[]) : [];
    const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
    const properties = (schema.properties ?? {}) as Record<string, SchemaNode>;
    for (const [name, member] of Object.entries(properties)) {
      if ("const" in member) continue; // a branch's copy of the union tag, visited with the base
      const present = Object.hasOwn(value, name);
      if (!present && required.has(name)) throw new Rejection(`Parameter '${prefix}${name}' is missing`);
      if (!present) continue;
      const place = { full: prefix + name, bare: name };
      this.value(member, value[name] as JsonValue, place, literalOf(value, name));
      unvisited.remove(name);
    }
    for (const part of parts) {
      if (Array.isArray(part.oneOf)) {
        const branch = this.selectedBranch(part.oneOf as SchemaNode[], value);
        if (branch) this.memberList(branch, value, prefix, unvisited);
      } else {
        this.memberList(part, value, prefix, unvisited);
      }
    }
  }

  /** The branch whose tag `const` equals the (already checked) tag value. */
  private selectedBranch(branches: SchemaNode[], value: JsonObject): SchemaNode | undefined {
    return branches.find((branch) => {
      const properties = (branch.properties ?? {}) as Record<string, SchemaNode>;
      return Object.entries(properties).some(([name, p]) => "const" in p && value[name] === p.const);
    });
  }

  private deref(schema: SchemaNode): SchemaNode {
    return typeof schema.$ref === "string" ? this.resolve(schema.$ref) : schema;
  }

  /** `literal`: the number's text as written, when the framer recorded it (number-literal.ts). */
  value(schema: SchemaNode, value: JsonValue, place: Place, literal?: string): void {
    const ref = typeof schema.$ref === "string" ? schema.$ref : undefined;
    const node = this.deref(schema);
    if (Array.isArray(node.anyOf))
      this.alternate(node.anyOf as SchemaNode[], refName(ref), value, place, literal);
    else if (kindOfNode(node) === "object") this.object(node, value, place);
    else if (node.type === "string") this.string(node, value, place);
    else if (node.type === "integer") integer(node, value, place, literal);
    else if (node.type === "array") this.array(node, value, place);
    else if (typeof node.type === "string" && jsonKind(value) !== node.type)
      throw typeError(place, node.type);
  }

  private object(node: SchemaNode, value: JsonValue, place: Place): void {
    if (!isJsonObject(value)) throw typeError(place, "object");
    if (node.properties || node.allOf) this.members(node, value, `${place.full}.`);
  }

  private string(node: SchemaNode, value: JsonValue, place: Place): void {
    if (typeof value !== "string") throw typeError(place, "string");
    if (Array.isArray(node.enum) && !node.enum.includes(value))
      throw new Rejection(`Parameter '${bare(place)}' does not accept value '${value}'`);
  }

  private array(node: SchemaNode, value: JsonValue, place: Place): void {
    if (!Array.isArray(value)) throw typeError(place, "array");
    const items = node.items as SchemaNode | undefined;
    if (!items) return;
    value.forEach((element, i) => {
      this.value(items, element, { full: `${place.full}[${i}]`, bare: null }, literalOf(value, String(i)));
    });
  }

  /** QEMU picks the branch by the value's JSON kind; a kind no branch takes names the type. */
  private alternate(
    branches: SchemaNode[],
    name: string,
    value: JsonValue,
    place: Place,
    literal: string | undefined,
  ): void {
    const branch = branches.find((b) => this.kindOf(b) === jsonKind(value));
    if (!branch) throw new Rejection(`Invalid parameter type for '${bare(place)}', expected: ${name}`);
    this.value(branch, value, place, literal);
  }

  private kindOf(schema: SchemaNode): string | undefined {
    const kind = kindOfNode(this.deref(schema));
    return kind === "integer" ? "number" : kind;
  }
}

/** The members QEMU has not visited yet, in a table filled as QEMU fills it (QDict order). */
function leftoverTracker(value: JsonObject): GStrHashTable {
  const table = new GStrHashTable();
  const keys = Object.keys(value).map((key, given) => ({ key, given, bucket: qdictBucket(key) }));
  // QDict buckets hold their newest entry first.
  keys.sort((a, b) => a.bucket - b.bucket || b.given - a.given);
  for (const { key } of keys) table.insert(key);
  return table;
}

/** The JSON type a (dereferenced) node takes; unions have no `type` of their own. */
function kindOfNode(node: SchemaNode): string | undefined {
  if (typeof node.type === "string") return node.type;
  return node.properties || node.allOf ? "object" : undefined;
}

function refName(ref: string | undefined): string {
  return ref?.slice(ref.lastIndexOf("/") + 1) ?? "alternate";
}

function jsonKind(value: JsonValue): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

/**
 * QEMU reads signed members as int64 ("expected: integer") and unsigned ones as uint64, which
 * also takes negative int64 values for compatibility ("expects uint64"), then checks a sized
 * type's range by its bare name ("expects uint8_t"). Neither takes a double: not `1.0`, not
 * `1e3`, not an integer literal beyond uint64 (QEMU's parser makes those doubles).
 */
function integer(node: SchemaNode, value: JsonValue, place: Place, literal: string | undefined): void {
  const min = typeof node.minimum === "number" ? node.minimum : -TWO_63;
  const max = typeof node.maximum === "number" ? node.maximum : TWO_63;
  const parsed: QemuNumber | undefined = typeof value === "number" ? qemuNumberOf(value, literal) : undefined;
  if (min < 0) {
    if (parsed?.kind !== "int64") throw typeError(place, "integer");
    if (max < TWO_63 && (parsed.value < BigInt(min) || parsed.value > BigInt(max)))
      throw new Rejection(`Parameter '${bare(place)}' expects int${widthOf(max + 1)}_t`);
    return;
  }
  if (parsed === undefined || parsed.kind === "double")
    throw new Rejection(`Parameter '${place.full}' expects uint64`);
  // A negative int64 is taken as its two's complement, so -1 is too big for a uint8.
  const unsigned = parsed.value < 0n ? parsed.value + BIG_TWO_64 : parsed.value;
  if (max < TWO_64 && unsigned > BigInt(max))
    throw new Rejection(`Parameter '${bare(place)}' expects uint${widthOf(max + 1)}_t`);
}

/** 256 → 8, 128 → 8 (signed), 65536 → 16, ... */
function widthOf(limit: number): number {
  const bits = Math.round(Math.log2(limit));
  return bits % 8 === 0 ? bits : bits + 1;
}
