/**
 * Reads a `query-qmp-schema` answer (QEMU's, the generated `src/generated/introspection.ts`, or a
 * proxy's merged one) the way a schema-driven client does: entries by name, the types a command
 * or event refers to, and QEMU's introspection conventions (qapi/introspect.json, QEMU's
 * scripts/qapi/introspect.py) as a list of broken rules, so tests and the conformance catalogue
 * can hold any answer to them.
 */

/** One `SchemaInfo` entry; the other members depend on `meta-type`. */
export interface SchemaInfo {
  name: string;
  "meta-type": string;
  [key: string]: unknown;
}

export const META_TYPES = ["builtin", "enum", "array", "object", "alternate", "command", "event"] as const;
const ROOT_META = new Set(["command", "event"]);

export interface ObjectMember {
  name: string;
  type: string;
  default?: null;
  features?: string[];
}

export interface Variant {
  case: string;
  type: string;
}

export class IntrospectedSchema {
  private readonly byName = new Map<string, SchemaInfo>();

  constructor(readonly entries: readonly SchemaInfo[]) {
    // The first of two entries with one name wins; `conventionProblems` reports the second.
    for (const entry of entries) if (!this.byName.has(entry.name)) this.byName.set(entry.name, entry);
  }

  get(name: string): SchemaInfo | undefined {
    return this.byName.get(name);
  }

  /** Names of the entries of one meta-type, in answer order. */
  namesOf(meta: "command" | "event"): string[] {
    return this.entries.filter((e) => e["meta-type"] === meta).map((e) => e.name);
  }

  /** The type names an entry refers to directly (arguments, returns, members, branches, elements). */
  referencesOf(entry: SchemaInfo): string[] {
    const names: unknown[] = [];
    switch (entry["meta-type"]) {
      case "command":
        names.push(entry["arg-type"], entry["ret-type"]);
        break;
      case "event":
        names.push(entry["arg-type"]);
        break;
      case "array":
        names.push(entry["element-type"]);
        break;
      case "alternate":
        names.push(...listOf<{ type?: unknown }>(entry.members).map((m) => m.type));
        break;
      case "object":
        names.push(...listOf<{ type?: unknown }>(entry.members).map((m) => m.type));
        names.push(...listOf<{ type?: unknown }>(entry.variants).map((v) => v.type));
        break;
    }
    return names.map(String);
  }

  /**
   * Every type reachable from the commands and events. QEMU may list a few more: it evaluates
   * conditions after choosing which types to list (7.2 on x86 lists the s390-only
   * CpuModelCompareResult), so "unused" is no rule of its answers.
   */
  reachableTypes(): Set<string> {
    const seen = new Set<string>();
    const queue = this.entries.filter((e) => ROOT_META.has(e["meta-type"]));
    for (let i = 0; i < queue.length; i++) {
      const entry = queue[i] as SchemaInfo;
      for (const name of this.referencesOf(entry)) {
        const type = this.byName.get(name);
        if (seen.has(name) || !type) continue;
        seen.add(name);
        queue.push(type);
      }
    }
    return seen;
  }

  /** The values of the enum JobInfo's `type` member names, found from `query-jobs` as a client would. */
  jobTypes(): string[] {
    const ret = this.get(String(this.get("query-jobs")?.["ret-type"]));
    const info = this.get(String(ret?.["element-type"]));
    const typeMember = listOf<ObjectMember>(info?.members).find((m) => m.name === "type");
    return listOf<string>(this.get(String(typeMember?.type))?.values).map(String);
  }

  /** The branches of JobInfo (query-jobs' element type), by case. */
  jobInfoVariants(): Map<string, SchemaInfo | undefined> {
    const ret = this.get(String(this.get("query-jobs")?.["ret-type"]));
    const info = this.get(String(ret?.["element-type"]));
    return new Map(listOf<Variant>(info?.variants).map((v) => [v.case, this.get(v.type)]));
  }
}

/**
 * Every rule of QEMU's introspection the answer breaks, one line each; empty when it obeys them
 * all: names unique, every `meta-type` one of QEMU's seven, every referenced type defined,
 * non-builtin type names masked (decimal strings) unless `unmasked`, arrays named `[ELEMENT]`, enums listing their values (and members
 * agreeing with them), object members unique with resolvable types, a union's tag an enum member
 * and its branches objects covering each tag value exactly once, commands and events taking
 * objects.
 */
export function conventionProblems(entries: readonly SchemaInfo[], options: { unmasked?: boolean } = {}) {
  const schema = new IntrospectedSchema(entries);
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const entry of entries) {
    const where = `'${entry.name}'`;
    if (typeof entry.name !== "string" || entry.name === "") problems.push("an entry without a name");
    if (seen.has(entry.name)) problems.push(`${where} is defined twice`);
    seen.add(entry.name);
    const meta = entry["meta-type"];
    if (!(META_TYPES as readonly string[]).includes(meta)) {
      problems.push(`${where} has meta-type '${meta}'`);
      continue;
    }
    for (const ref of schema.referencesOf(entry))
      if (!schema.get(ref)) problems.push(`${where} refers to undefined type '${ref}'`);
    problems.push(...entryProblems(entry, schema, options.unmasked ?? false).map((p) => `${where} ${p}`));
  }
  return problems;
}

function entryProblems(entry: SchemaInfo, schema: IntrospectedSchema, unmasked: boolean): string[] {
  const problems: string[] = [];
  const meta = entry["meta-type"];
  const maskedName = /^(0|[1-9][0-9]*)$/.test(entry.name);
  if ((meta === "enum" || meta === "object" || meta === "alternate") && !unmasked && !maskedName)
    problems.push("is a type whose name is not masked as a number");
  switch (meta) {
    case "builtin":
      if (typeof entry["json-type"] !== "string") problems.push("has no json-type");
      break;
    case "array":
      if (entry.name !== `[${String(entry["element-type"])}]`) problems.push("is not named [ELEMENT]");
      break;
    case "enum":
      problems.push(...enumProblems(entry));
      break;
    case "object":
      problems.push(...objectProblems(entry, schema));
      break;
    case "alternate":
      if (listOf(entry.members).length === 0) problems.push("is an alternate without alternatives");
      break;
    case "command":
    case "event":
      for (const key of meta === "command" ? ["arg-type", "ret-type"] : ["arg-type"]) {
        if (typeof entry[key] !== "string") problems.push(`has no ${key}`);
      }
      if (schema.get(String(entry["arg-type"]))?.["meta-type"] !== "object")
        problems.push("takes arguments that are not an object");
      break;
  }
  return problems;
}

function enumProblems(entry: SchemaInfo): string[] {
  const values = entry.values;
  if (!Array.isArray(values) || values.some((v) => typeof v !== "string")) return ["lists no values"];
  const problems: string[] = [];
  if (new Set(values).size !== values.length) problems.push("lists a value twice");
  // QEMU 6.2 and later list `members` too, name for name.
  if (entry.members !== undefined) {
    const names = listOf<{ name?: unknown }>(entry.members).map((m) => m.name);
    if (JSON.stringify(names) !== JSON.stringify(values))
      problems.push("has members that differ from its values");
  }
  return problems;
}

function objectProblems(entry: SchemaInfo, schema: IntrospectedSchema): string[] {
  const problems: string[] = [];
  const members = listOf<ObjectMember>(entry.members);
  if (!Array.isArray(entry.members)) problems.push("has no members list");
  const names = members.map((m) => m.name);
  if (new Set(names).size !== names.length) problems.push("has a member twice");
  for (const m of members)
    if ("default" in m && m.default !== null) problems.push(`has member '${m.name}' with a non-null default`);
  if (entry.tag === undefined) {
    if (entry.variants !== undefined) problems.push("has variants without a tag");
    return problems;
  }
  const tag = members.find((m) => m.name === entry.tag);
  const tagEnum = tag && schema.get(tag.type);
  if (tagEnum?.["meta-type"] !== "enum")
    return [...problems, `has tag '${String(entry.tag)}' that is no enum member`];
  const values = listOf<string>(tagEnum.values);
  const cases = listOf<Variant>(entry.variants).map((v) => v.case);
  if (new Set(cases).size !== cases.length) problems.push("has a variant case twice");
  const missing = values.filter((v) => !cases.includes(v));
  const extra = cases.filter((c) => !values.includes(c));
  if (missing.length > 0) problems.push(`has no variant for ${missing.join(", ")}`);
  if (extra.length > 0) problems.push(`has variants for values its tag lacks: ${extra.join(", ")}`);
  for (const v of listOf<Variant>(entry.variants))
    if (schema.get(v.type) && schema.get(v.type)?.["meta-type"] !== "object")
      problems.push(`has variant '${v.case}' that is not an object`);
  return problems;
}

function listOf<T>(value: unknown): T[] {
  return Array.isArray(value) ? (value as T[]) : [];
}

/**
 * Where `value` does not fit type `typeName` of the answer, one line each (empty: it fits), read
 * as a generated client decodes: required members present, no member the type lacks, union
 * branches by tag, enum values listed, built-ins by `json-type`.
 */
export function valueProblems(
  schema: IntrospectedSchema,
  typeName: string,
  value: unknown,
  at = "$",
): string[] {
  const type = schema.get(typeName);
  if (!type) return [`${at}: type '${typeName}' is not defined`];
  const fail = (what: string) => [`${at}: ${what}, got ${JSON.stringify(value)?.slice(0, 80)}`];
  switch (type["meta-type"]) {
    case "builtin":
      return fitsJsonType(String(type["json-type"]), value)
        ? []
        : fail(`expected ${String(type["json-type"])}`);
    case "enum":
      return typeof value === "string" && listOf(type.values).includes(value)
        ? []
        : fail(`expected enum '${typeName}'`);
    case "array":
      if (!Array.isArray(value)) return fail("expected an array");
      return value.flatMap((v, i) => valueProblems(schema, String(type["element-type"]), v, `${at}[${i}]`));
    case "alternate": {
      const fits = listOf<{ type: string }>(type.members).some(
        (m) => valueProblems(schema, m.type, value, at).length === 0,
      );
      return fits ? [] : fail(`expected one of alternate '${typeName}'`);
    }
    case "object": {
      if (value === null || typeof value !== "object" || Array.isArray(value))
        return fail("expected an object");
      const object = value as Record<string, unknown>;
      const members = [...listOf<ObjectMember>(type.members)];
      if (type.tag !== undefined) {
        const branch = listOf<Variant>(type.variants).find((v) => v.case === object[String(type.tag)]);
        members.push(...listOf<ObjectMember>(schema.get(branch?.type ?? "")?.members));
      }
      const problems = members.flatMap((m) => {
        if (!(m.name in object)) return "default" in m ? [] : [`${at}: member '${m.name}' is missing`];
        return valueProblems(schema, m.type, object[m.name], `${at}.${m.name}`);
      });
      for (const key of Object.keys(object))
        if (!members.some((m) => m.name === key))
          problems.push(`${at}: member '${key}' is not in '${typeName}'`);
      return problems;
    }
    default:
      return [`${at}: '${typeName}' is a ${type["meta-type"]}, not a type`];
  }
}

function fitsJsonType(jsonType: string, value: unknown): boolean {
  switch (jsonType) {
    case "string":
      return typeof value === "string";
    case "int":
      return Number.isInteger(value);
    case "number":
      return typeof value === "number";
    case "boolean":
      return typeof value === "boolean";
    case "null":
      return value === null;
    default:
      // "value" (QEMU's `any`) and the QType-ish rest: anything.
      return true;
  }
}
