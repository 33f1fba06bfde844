/**
 * A facade's `query-qmp-schema`: its upstream's answer merged with the facade's own entries,
 * taken from the generated introspection data (what codegen's introspection emitter makes of
 * schema/), so that schema-driven clients discover what the facade offers (decision 0006).
 *
 * Both answers mask type names as numbers, each in its own order, so the facade's numbers mean
 * nothing upstream. A facade root (command or event) is merged in one of two ways:
 * - `extends`: the facade answers for its migration jobs and upstream for the rest (query-jobs,
 *   job-change): upstream's description stays and gains what the facade's adds, type by type
 *   (enum values, object members, union branches), so e.g. upstream's JobType gains `migration`
 *   wherever upstream uses it, as in schema/job.json. A root upstream lacks is added.
 * - `own`: the facade alone answers (job-migrate, the legacy facade's migrate): its description
 *   replaces upstream's.
 * Facade types that did not meet an upstream type on an `extends` path get fresh numbers after
 * upstream's highest, arrays are renamed from their elements, built-ins keep their names; then
 * types no command or event reaches any more are dropped, as QEMU lists only reachable ones.
 */
import { IntrospectedSchema, type ObjectMember, type SchemaInfo, type Variant } from "./schema-reader.ts";

export type MergeMode = "extends" | "own";

/** What a facade contributes: root name → how it merges. */
export type SchemaContribution = Readonly<Record<string, MergeMode>>;

export interface MergedSchema {
  entries: SchemaInfo[];
  /** Where the two descriptions could not be merged (upstream's was kept); empty normally. */
  conflicts: string[];
}

export function mergeIntrospection(
  upstream: readonly SchemaInfo[],
  facade: readonly SchemaInfo[],
  contribution: SchemaContribution,
): MergedSchema {
  return new IntrospectionMerge(upstream, facade).run(contribution);
}

class IntrospectionMerge {
  private readonly ours: IntrospectedSchema;
  /** Upstream's entries by name, copied: extending one never touches the cached answer. */
  private readonly theirs = new Map<string, SchemaInfo>();
  private readonly order: string[] = [];
  /** A facade type name → the name it has in the merged answer. */
  private readonly renamed = new Map<string, string>();
  /** Facade types given a fresh name whose entry is still to be written. */
  private readonly pending: [ours: SchemaInfo, name: string][] = [];
  private readonly paired = new Set<string>();
  private readonly added: SchemaInfo[] = [];
  private readonly addedRoots: SchemaInfo[] = [];
  private nextNumber: number;
  /** Types upstream lists although none of its commands and events uses them. */
  private readonly unusedUpstream: Set<string>;
  readonly conflicts: string[] = [];

  constructor(upstream: readonly SchemaInfo[], facade: readonly SchemaInfo[]) {
    this.ours = new IntrospectedSchema(facade);
    for (const entry of upstream) {
      this.theirs.set(entry.name, structuredClone(entry));
      this.order.push(entry.name);
    }
    const reachable = new IntrospectedSchema(upstream).reachableTypes();
    this.unusedUpstream = new Set(
      upstream
        .filter((e) => e["meta-type"] !== "command" && e["meta-type"] !== "event" && !reachable.has(e.name))
        .map((e) => e.name),
    );
    const numbers = upstream.map((e) => e.name).filter((n) => /^[0-9]+$/.test(n));
    this.nextNumber = numbers.reduce((max, n) => Math.max(max, Number(n) + 1), 0);
    // QEMU's empty object (q_empty) serves as every implicit branch; pairing ours with it keeps
    // those branches on one type instead of a copy.
    const ourEmpty = facade.find(isEmptyObject);
    const theirEmpty = upstream.find(isEmptyObject);
    if (ourEmpty && theirEmpty) this.renamed.set(ourEmpty.name, theirEmpty.name);
  }

  run(contribution: SchemaContribution): MergedSchema {
    const roots = Object.entries(contribution).flatMap(([name, mode]) => {
      const ours = this.ours.get(name);
      if (!ours) throw new Error(`the facade's schema has no '${name}'`);
      return [{ ours, mode }];
    });
    // Pairing first: a type an `extends` root shares with upstream then keeps upstream's name
    // wherever the facade's other roots use it.
    for (const { ours, mode } of roots) {
      const theirs = this.theirs.get(ours.name);
      if (mode === "extends" && theirs) this.extendRoot(theirs, ours);
    }
    for (const { ours, mode } of roots) {
      const theirs = this.theirs.get(ours.name);
      if (mode === "extends" && theirs) continue;
      const copy = this.rewritten(ours, ours.name);
      if (theirs) this.theirs.set(ours.name, copy);
      else this.addedRoots.push(copy);
    }
    for (let i = 0; i < this.pending.length; i++) {
      const [ours, name] = this.pending[i] as [SchemaInfo, string];
      this.added.push(this.rewritten(ours, name));
    }
    const entries = this.assemble();
    for (const entry of entries) this.coverTagValues(entry, entries);
    return { entries: this.reachableOnly(entries), conflicts: this.conflicts };
  }

  /** Upstream's roots in their order, the facade's new roots after them, then the types. */
  private assemble(): SchemaInfo[] {
    const upstream = this.order.map((name) => this.theirs.get(name) as SchemaInfo);
    const lastRoot = upstream.findLastIndex(
      (e) => e["meta-type"] === "command" || e["meta-type"] === "event",
    );
    return [
      ...upstream.slice(0, lastRoot + 1),
      ...this.addedRoots,
      ...upstream.slice(lastRoot + 1),
      ...this.added,
    ];
  }

  /**
   * Drops what the merge left unused (upstream's descriptions of roots the facade replaced).
   * Types upstream itself lists unused stay: QEMU evaluates conditions after it chose which
   * types to list, so a build without a command can still list that command's types.
   */
  private reachableOnly(entries: SchemaInfo[]): SchemaInfo[] {
    const reachable = new IntrospectedSchema(entries).reachableTypes();
    const isRoot = (e: SchemaInfo) => e["meta-type"] === "command" || e["meta-type"] === "event";
    return entries.filter((e) => isRoot(e) || reachable.has(e.name) || this.unusedUpstream.has(e.name));
  }

  // ---- extending upstream's description

  private extendRoot(theirs: SchemaInfo, ours: SchemaInfo): void {
    if (theirs["meta-type"] !== ours["meta-type"]) {
      this.conflicts.push(`'${ours.name}' is a ${theirs["meta-type"]} upstream, a ${ours["meta-type"]} here`);
      return;
    }
    this.pair(String(theirs["arg-type"]), String(ours["arg-type"]), `${ours.name} arguments`);
    if (ours["meta-type"] === "command")
      this.pair(String(theirs["ret-type"]), String(ours["ret-type"]), `${ours.name} return`);
  }

  /** Makes upstream's type `theirName` describe the facade's `ourName` too. */
  private pair(theirName: string, ourName: string, where: string): void {
    const key = `${theirName}\u0000${ourName}`;
    if (this.paired.has(key)) return;
    this.paired.add(key);
    const theirs = this.theirs.get(theirName);
    const ours = this.ours.get(ourName);
    if (!theirs || !ours) {
      this.conflicts.push(`${where}: type '${theirs ? ourName : theirName}' is not defined`);
      return;
    }
    if (theirs["meta-type"] !== ours["meta-type"]) {
      this.conflicts.push(
        `${where}: ${theirs["meta-type"]} upstream, ${ours["meta-type"]} here; upstream's kept`,
      );
      return;
    }
    if (!this.renamed.has(ourName)) this.renamed.set(ourName, theirName);
    switch (ours["meta-type"]) {
      case "builtin":
        if (theirName !== ourName)
          this.conflicts.push(`${where}: built-in ${theirName} upstream, ${ourName} here`);
        break;
      case "array":
        this.pair(String(theirs["element-type"]), String(ours["element-type"]), `${where}[]`);
        break;
      case "enum":
        this.extendEnum(theirs, ours);
        break;
      case "object":
        this.extendObject(theirs, ours, where);
        break;
      case "alternate":
        // Alternatives are told apart by JSON type; a facade adds none, so upstream's stand.
        break;
    }
  }

  private extendEnum(theirs: SchemaInfo, ours: SchemaInfo): void {
    const values = list<string>(theirs.values);
    const members = list<{ name: string }>(theirs.members);
    for (const [i, value] of list<string>(ours.values).entries()) {
      if (values.includes(value)) continue;
      values.push(value);
      members.push(list<{ name: string }>(ours.members)[i] ?? { name: value });
    }
    theirs.values = values;
    if (theirs.members !== undefined) theirs.members = members;
  }

  /**
   * Members the facade adds become optional: upstream's own values (QEMU's jobs in query-jobs)
   * do not carry them. Branches the facade adds join upstream's; every tag value then needs one.
   */
  private extendObject(theirs: SchemaInfo, ours: SchemaInfo, where: string): void {
    const members = list<ObjectMember>(theirs.members);
    for (const member of list<ObjectMember>(ours.members)) {
      const same = members.find((m) => m.name === member.name);
      if (same) {
        this.pair(same.type, member.type, `${where}.${member.name}`);
        if ("default" in member) same.default = null;
      } else members.push({ ...member, type: this.nameFor(member.type), default: null });
    }
    theirs.members = members;
    if (ours.tag === undefined) return;
    if (theirs.tag !== undefined && theirs.tag !== ours.tag) {
      this.conflicts.push(`${where}: tag '${String(theirs.tag)}' upstream, '${String(ours.tag)}' here`);
      return;
    }
    theirs.tag = ours.tag;
    const variants = list<Variant>(theirs.variants);
    for (const variant of list<Variant>(ours.variants)) {
      const same = variants.find((v) => v.case === variant.case);
      if (same) this.pair(same.type, variant.type, `${where}(${variant.case})`);
      else variants.push({ case: variant.case, type: this.nameFor(variant.type) });
    }
    theirs.variants = variants;
  }

  /**
   * QEMU lists a branch for every tag value. A union whose tag enum gained values upstream's or
   * the facade's schema lacks gets the empty object for each of them.
   */
  private coverTagValues(union: SchemaInfo, entries: SchemaInfo[]): void {
    if (union["meta-type"] !== "object" || union.tag === undefined) return;
    const tagType = list<ObjectMember>(union.members).find((m) => m.name === union.tag)?.type;
    const tagEnum = entries.find((e) => e.name === tagType);
    const variants = list<Variant>(union.variants);
    const empty = entries.find(isEmptyObject);
    for (const value of list<string>(tagEnum?.values)) {
      if (variants.some((v) => v.case === value)) continue;
      if (empty) variants.push({ case: value, type: empty.name });
      else this.conflicts.push(`'${union.name}': no empty object for branch '${value}'`);
    }
    union.variants = variants;
  }

  // ---- copying the facade's own entries

  /** The facade's name for a type → its name in the merged answer (fresh if it has none yet). */
  private nameFor(ourName: string): string {
    const known = this.renamed.get(ourName);
    if (known !== undefined) return known;
    const ours = this.ours.get(ourName);
    if (!ours) throw new Error(`the facade's schema refers to undefined type '${ourName}'`);
    let name: string;
    if (ours["meta-type"] === "builtin") name = ourName;
    else if (ours["meta-type"] === "array") name = `[${this.nameFor(String(ours["element-type"]))}]`;
    else name = String(this.nextNumber++);
    this.renamed.set(ourName, name);
    // A built-in or an array upstream lists already is not listed twice.
    if (!this.theirs.has(name)) this.pending.push([ours, name]);
    return name;
  }

  /** A facade entry under `name`, every type it mentions renamed. */
  private rewritten(ours: SchemaInfo, name: string): SchemaInfo {
    const copy: SchemaInfo = { ...structuredClone(ours), name };
    const rename = (value: unknown) => this.nameFor(String(value));
    for (const key of ["arg-type", "ret-type", "element-type"])
      if (copy[key] !== undefined) copy[key] = rename(copy[key]);
    if (copy["meta-type"] === "object" || copy["meta-type"] === "alternate")
      copy.members = list<{ type: string }>(copy.members).map((m) => ({ ...m, type: rename(m.type) }));
    if (copy.variants !== undefined)
      copy.variants = list<Variant>(copy.variants).map((v) => ({ ...v, type: rename(v.type) }));
    return copy;
  }
}

function isEmptyObject(entry: SchemaInfo): boolean {
  return (
    entry["meta-type"] === "object" &&
    Array.isArray(entry.members) &&
    entry.members.length === 0 &&
    entry.tag === undefined &&
    entry.features === undefined
  );
}

function list<T>(value: unknown): T[] {
  return Array.isArray(value) ? [...(value as T[])] : [];
}
