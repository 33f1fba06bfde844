/**
 * The one namespace of a schema while it is being built: entities in definition order, lookup by
 * name, the "already defined" rule, and how QEMU's messages describe entities and members.
 */
import type { Entity, SchemaType } from "./ir.ts";
import { SchemaError, type SourceInfo } from "./source-info.ts";

export class SchemaIndex {
  readonly entities: Entity[] = [];
  private readonly byName = new Map<string, Entity>();
  /** Which definition a member, value, branch or feature belongs to (for messages). */
  readonly definedIn = new WeakMap<object, string>();

  /** Adds a definition; a second definition of a name is an error at the new one. */
  define(entity: Entity): void {
    const other = this.byName.get(entity.name);
    if (other) {
      const message = other.info
        ? `'${entity.name}' is already defined\n${other.info.toString()}: previous definition`
        : `${describe(other)} is already defined`;
      throw new SchemaError(entity.info, message);
    }
    this.entities.push(entity);
    this.byName.set(entity.name, entity);
  }

  lookup(name: string): Entity | undefined {
    return this.byName.get(name);
  }

  lookupType(name: string): SchemaType | undefined {
    const entity = this.byName.get(name);
    return entity && isType(entity) ? entity : undefined;
  }

  /** A type the schema refers to; `what` says who refers to it ("'base'", "member 'a'", ...). */
  resolveType(name: string, info: SourceInfo | undefined, what: string | undefined): SchemaType {
    const type = this.lookupType(name);
    if (!type) throw new SchemaError(info, `${what} uses unknown type '${name}'`);
    return type;
  }
}

export function isType(entity: Entity): entity is SchemaType {
  return ["builtin", "enum", "array", "object", "alternate"].includes(entity.meta);
}

/** QEMU's meta-type word for an entity: "built-in", "struct" (also implicit objects), "union", ... */
export function qemuMeta(entity: Entity): string {
  switch (entity.meta) {
    case "builtin":
      return "built-in";
    case "object":
      return entity.variants ? "union" : "struct";
    default:
      return entity.meta;
  }
}

/** "union type 'U'", "built-in type 'int'", "array type ['Foo']", "command 'x'". */
export function describe(entity: Entity): string {
  if (entity.meta === "array") return `array type ['${entity.elementType}']`;
  return isType(entity) ? `${qemuMeta(entity)} type '${entity.name}'` : `${entity.meta} '${entity.name}'`;
}

/** What a member-like thing is called in messages. */
export type MemberRole = "member" | "value" | "branch" | "feature";

/**
 * "member 'a'", or "member 'a' of type 'Base'" when it is defined outside the definition being
 * reported on. Members of implicit types read as what the user wrote: a command's parameters, a
 * union's base members.
 */
export function describeMember(
  role: string,
  name: string,
  definedIn: string,
  info: SourceInfo | undefined,
): string {
  let meta = "type";
  let owner = definedIn;
  if (owner.startsWith("q_obj_")) {
    owner = owner.slice("q_obj_".length);
    if (owner.endsWith("-arg")) {
      role = "parameter";
      meta = "command";
      owner = owner.slice(0, -"-arg".length);
    } else if (owner.endsWith("-base")) {
      role = `base ${role}`;
      owner = owner.slice(0, -"-base".length);
    }
  }
  return owner === info?.defnName ? `${role} '${name}'` : `${role} '${name}' of ${meta} '${owner}'`;
}
