/**
 * Which QEMU release's QAPI language a schema is written in. QEMU changes its schema language
 * between releases (pragmas, doc-comment rules, some checks and error texts), and a schema valid
 * for one release can be invalid for another, so the front end reads exactly one dialect at a
 * time; docs/decisions/0004-qapi-dialects.md says how it is chosen.
 */
export const QAPI_DIALECTS = ["7.2", "10.0"] as const;
export type QapiDialect = (typeof QAPI_DIALECTS)[number];

/** The dialect when none is asked for: jobshim's own schema and every schema before issue 14. */
export const DEFAULT_QAPI_DIALECT: QapiDialect = "7.2";

export function isQapiDialect(value: string): value is QapiDialect {
  return (QAPI_DIALECTS as readonly string[]).includes(value);
}

/** Options every front-end entry point takes. */
export interface FrontEndOptions {
  /** The QAPI language to read; default {@link DEFAULT_QAPI_DIALECT}. */
  dialect?: QapiDialect;
}
