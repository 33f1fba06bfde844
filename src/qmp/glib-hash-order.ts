/**
 * The order in which a GLib 2.74 string hash table (GHashTable with g_str_hash) hands back its
 * keys. QEMU's input visitor puts an object's member names into such a table, removes each one
 * it visits and, when some are left over, names the first the table yields as "unexpected".
 * With several unknown members, matching QEMU's choice means replaying that table: open
 * addressing over a power-of-two array, slot = (hash * 11) mod a prime, quadratic probing,
 * tombstones on removal, and the same grow/shrink/rehash rules.
 */

const MIN_SHIFT = 3;
/** GLib's prime moduli per table shift (only the small ones matter for argument objects). */
const PRIME_MOD = [
  1, 2, 3, 7, 13, 31, 61, 127, 251, 509, 1021, 2039, 4093, 8191, 16381, 32749, 65521, 131071, 262139, 524287,
  1048573, 2097143, 4194301, 8388593, 16777213, 33554393, 67108859, 134217689, 268435399, 536870909,
  1073741789, 2147483647,
];
const UNUSED = 0;
const TOMBSTONE = 1;

/** g_str_hash (djb2 over signed chars), never one of the two reserved slot markers. */
export function gStrHash(key: string): number {
  let h = 5381;
  for (const byte of Buffer.from(key, "utf8")) {
    const signed = byte >= 0x80 ? byte - 0x100 : byte;
    h = (Math.imul(h, 33) + signed) >>> 0;
  }
  return Math.max(h, 2);
}

export class GStrHashTable {
  private shift = MIN_SHIFT;
  private hashes: number[] = new Array(1 << MIN_SHIFT).fill(UNUSED);
  private keys: (string | undefined)[] = new Array(1 << MIN_SHIFT).fill(undefined);
  private nnodes = 0;
  private noccupied = 0;

  private get size(): number {
    return 1 << this.shift;
  }

  private index(hash: number): number {
    // guint arithmetic: the product wraps at 32 bits before the modulo.
    return (Math.imul(hash, 11) >>> 0) % (PRIME_MOD[this.shift] as number);
  }

  /** The slot holding `key`, or where it would go (the first tombstone on the way, if any). */
  private lookup(key: string, hash: number): number {
    const mask = this.size - 1;
    let at = this.index(hash);
    let tombstone: number | undefined;
    for (let step = 1; this.hashes[at] !== UNUSED; step++) {
      if (this.hashes[at] === hash && this.keys[at] === key) return at;
      if (this.hashes[at] === TOMBSTONE && tombstone === undefined) tombstone = at;
      at = (at + step) & mask;
    }
    return tombstone ?? at;
  }

  insert(key: string): void {
    const hash = gStrHash(key);
    const at = this.lookup(key, hash);
    const old = this.hashes[at] as number;
    if (old >= 2) return;
    this.hashes[at] = hash;
    this.keys[at] = key;
    this.nnodes++;
    if (old === UNUSED) {
      this.noccupied++;
      this.maybeResize();
    }
  }

  remove(key: string): void {
    const at = this.lookup(key, gStrHash(key));
    if ((this.hashes[at] as number) < 2) return;
    this.hashes[at] = TOMBSTONE;
    this.keys[at] = undefined;
    this.nnodes--;
    this.maybeResize();
  }

  /** Keys in iteration order (slot order). */
  keysInOrder(): string[] {
    return this.keys.filter((key, at): key is string => (this.hashes[at] as number) >= 2);
  }

  private maybeResize(): void {
    const size = this.size;
    const tooSparse = size > this.nnodes * 4 && size > 1 << MIN_SHIFT;
    const tooFull = size <= this.noccupied + Math.floor(this.noccupied / 16);
    if (tooSparse || tooFull) this.resize();
  }

  /** GLib rehashes in place, evicting entries along the way; replayed step by step. */
  private resize(): void {
    const oldSize = this.size;
    this.shift = Math.max(closestShift(Math.trunc(this.nnodes * 1.333)), MIN_SHIFT);
    const size = this.size;
    const mask = size - 1;
    for (let i = oldSize; i < size; i++) {
      this.hashes[i] = UNUSED;
      this.keys[i] = undefined;
    }
    const relocated = new Array<boolean>(Math.max(size, oldSize)).fill(false);
    for (let i = 0; i < oldSize; i++) {
      let hash = this.hashes[i] as number;
      if (hash < 2) {
        this.hashes[i] = UNUSED;
        continue;
      }
      if (relocated[i]) continue;
      this.hashes[i] = UNUSED;
      let key = this.keys[i];
      this.keys[i] = undefined;
      for (;;) {
        let at = this.index(hash);
        for (let step = 1; relocated[at]; step++) at = (at + step) & mask;
        relocated[at] = true;
        const replaced = this.hashes[at] as number;
        const replacedKey = this.keys[at];
        this.hashes[at] = hash;
        this.keys[at] = key;
        if (replaced < 2) break;
        hash = replaced;
        key = replacedKey;
      }
    }
    this.hashes.length = size;
    this.keys.length = size;
    this.noccupied = this.nnodes;
  }
}

function closestShift(n: number): number {
  let shift = 0;
  for (let rest = n; rest > 0; rest >>= 1) shift++;
  return shift;
}
