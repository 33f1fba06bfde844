// Types of dist-stamp.js for the TypeScript code that uses it (the benchmark).
export declare const STAMP_FILE: string;
export declare function sourceHash(root: string): string;
export declare function distIsFresh(root: string): boolean;
export declare function hasSources(root: string): boolean;
