/**
 * The contract of a parsed doc comment block (`##` ... `##`). The parser builds these; the
 * checker connects them to definitions, members and features, and asks them to check themselves.
 * The implementation lives in doc-comment.ts.
 */
import type { SourceInfo } from "./source-info.ts";

export interface DocSection {
  /** `undefined` for untagged body text; "Since", "Returns", "Note", ... for tagged sections. */
  tag: string | undefined;
  text: string;
  info: SourceInfo;
}

export interface DocArgument {
  name: string;
  text: string;
  info: SourceInfo;
  /** Set by the checker when a member/feature of the definition matches this `@name:`. */
  connected: boolean;
}

export interface SchemaDoc {
  info: SourceInfo;
  /** The `@Name:` the block documents; `undefined` for free-form documentation. */
  symbol: string | undefined;
  /** Untagged text after the symbol line. */
  body: string;
  /** `@member:` sections, in order. */
  args: DocArgument[];
  /** `Features:` `@feature:` sections, in order. */
  features: DocArgument[];
  /** Tagged sections (Since, Returns, Note, Example, ...), in order. */
  sections: DocSection[];

  /** Marks `@name:` as belonging to a real member; adds an undocumented placeholder if absent. */
  /** `role` names the member in errors: "member", "value" (of an enum) or "branch" (of an alternate). */
  connectMember(name: string, info: SourceInfo | undefined, role?: string): void;
  connectFeature(name: string, info: SourceInfo | undefined): void;
  /** Checks that depend on the expression (e.g. `Returns:` only on commands). Throws SchemaError. */
  checkExpression(expr: Record<string, unknown>): void;
  /** Checks after all connecting: documented members/features that do not exist. Throws SchemaError. */
  check(): void;
}
