/**
 * The schema's doc comments as JSDoc text for the generated TypeScript: a definition's overview,
 * its documented enum values, and the tags TypeScript tooling understands (`@deprecated` where a
 * `deprecated` feature says so, `@since` where the doc says so); a member's `@member:` text.
 * The text travels as JSON Schema `description` (an annotation ajv's strict mode knows), which
 * json-schema-to-typescript renders as a JSDoc block, and the direct engine renders the same.
 */
import type { DocArgument, SchemaDoc } from "./doc.ts";
import type { Entity, EnumType, Feature, ObjectMember, Schema } from "./ir.ts";

/**
 * For each object type, the doc comment its members are documented in: its own, or for an
 * implicit type (`q_obj_migrate-arg`, `q_obj_U-base`) that of the definition that implied it.
 */
export function memberDocs(schema: Schema): Map<string, SchemaDoc> {
  const docs = new Map<string, SchemaDoc>();
  const implied = (name: string | undefined, doc: SchemaDoc | undefined) => {
    if (name === undefined || doc === undefined) return;
    const type = schema.lookup(name);
    if (type?.meta === "object" && type.implicit) docs.set(name, doc);
  };
  for (const e of schema.entities) {
    if (e.meta === "object" && !e.implicit && e.doc) docs.set(e.name, e.doc);
    if (e.meta === "object") implied(e.base, e.doc);
    if (e.meta === "command" || e.meta === "event") implied(e.argType, e.doc);
  }
  return docs;
}

/** JSDoc text for a definition (enum, object, alternate, command or event), if its doc says anything. */
export function definitionDescription(entity: Entity): string | undefined {
  const doc = entity.doc;
  const overview = doc ? [doc.body, ...untagged(doc)].map(cleanText).filter((t) => t !== "") : [];
  const values = entity.meta === "enum" && doc ? enumValueLines(entity, doc) : [];
  const since = doc?.sections.find((s) => s.tag === "Since")?.text;
  const returns =
    entity.meta === "command" ? doc?.sections.find((s) => s.tag === "Returns")?.text : undefined;
  return compose(
    [...overview, ...(values.length > 0 ? [values.join("\n")] : [])],
    deprecation(entity.features, doc),
    since === undefined ? undefined : firstLine(since),
    returns === undefined ? undefined : cleanText(returns),
  );
}

/** JSDoc text for a member of an object type, from the doc its members are documented in. */
export function memberDescription(member: ObjectMember, doc: SchemaDoc | undefined): string | undefined {
  const text = cleanText(argument(doc?.args, member.name)?.text ?? "");
  return compose(text === "" ? [] : [text], deprecation(member.features, doc), sinceInText(text), undefined);
}

function untagged(doc: SchemaDoc): string[] {
  return doc.sections.filter((s) => s.tag === undefined).map((s) => s.text);
}

function enumValueLines(entity: EnumType, doc: SchemaDoc): string[] {
  return entity.members.flatMap((m) => {
    const text = cleanText(argument(doc.args, m.name)?.text ?? "").replace(/\s*\n\s*/g, " ");
    return text === "" ? [] : [`- \`${m.name}\`: ${text}`];
  });
}

/** `@deprecated`, with the doc's description of the `deprecated` feature when it has one. */
function deprecation(features: Feature[], doc: SchemaDoc | undefined): string | undefined {
  if (!features.some((f) => f.name === "deprecated")) return undefined;
  const why = cleanText(argument(doc?.features, "deprecated")?.text ?? "").replace(/\s*\n\s*/g, " ");
  return why === "" ? "@deprecated" : `@deprecated ${why}`;
}

/** A member's doc often ends its text with "(since 8.1)"; that is its `@since`. */
function sinceInText(text: string): string | undefined {
  return /\(since:?\s+(\d+\.\d+(?:\.\d+)?)\)/i.exec(text)?.[1];
}

function compose(
  paragraphs: string[],
  deprecated: string | undefined,
  since: string | undefined,
  returns: string | undefined,
): string | undefined {
  const tags = [
    ...(deprecated ? [deprecated] : []),
    ...(since ? [`@since ${since}`] : []),
    ...(returns ? [`@returns ${returns}`] : []),
  ];
  const parts = [...paragraphs, ...(tags.length > 0 ? [tags.join("\n")] : [])];
  return parts.length === 0 ? undefined : parts.join("\n\n");
}

function argument(args: DocArgument[] | undefined, name: string): DocArgument | undefined {
  return args?.find((a) => a.name === name);
}

function firstLine(text: string): string {
  return cleanText(text).split("\n")[0] ?? "";
}

/**
 * Doc text as a comment body: continuation lines dedented together (QEMU 10.0 keeps their
 * indentation), trailing blanks gone, a star-slash that would end the comment early broken up,
 * and QAPI's `@name` references as code, since JSDoc reads `@name` opening a line as a tag.
 */
function cleanText(text: string): string {
  const [first = "", ...rest] = text.replace(/\s+$/, "").split("\n");
  const indents = rest.filter((l) => l.trim() !== "").map((l) => /^ */.exec(l)?.[0].length ?? 0);
  const cut = indents.length > 0 ? Math.min(...indents) : 0;
  const lines = [first.trim(), ...rest.map((l) => l.slice(cut).trimEnd())];
  return lines
    .join("\n")
    .trim()
    .replaceAll("*/", "* /")
    .replace(/(^|[^\w`])@([A-Za-z][\w-]*)/g, "$1`$2`");
}
