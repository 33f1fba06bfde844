#!/usr/bin/env node
// Runs the TypeScript CLI straight from source through tsx, so the bin works right after `npm ci`
// with no build step and never runs stale compiled code.
import { register } from "tsx/esm/api";

register();
await import("../cli/main.ts");
