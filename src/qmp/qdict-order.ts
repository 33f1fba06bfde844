/**
 * QEMU keeps JSON objects in a 512-bucket hash table and writes them bucket by bucket, newest
 * entry first within a bucket. Reproducing that order is what makes our bytes equal QEMU's
 * (e.g. `{"return": {}, "id": 1}` but `{"id": 1, "error": ...}`).
 */
const BUCKETS = 512;

/** The gdbm/tdb string hash QEMU uses for its dictionaries, over the key's UTF-8 bytes. */
export function qdictHash(key: string): number {
  const bytes = Buffer.from(key, "utf8");
  let value = Math.imul(0x238f13af, bytes.length) >>> 0;
  for (let i = 0; i < bytes.length; i++) {
    value = (value + (((bytes[i] as number) << ((i * 5) % 24)) >>> 0)) >>> 0;
  }
  return (Math.imul(1103515243, value) + 12345) >>> 0;
}

/** Every reply and event hashes the same few keys again: remember them (bounded). */
const bucketCache = new Map<string, number>();
const BUCKET_CACHE_SIZE = 4096;

export function qdictBucket(key: string): number {
  let bucket = bucketCache.get(key);
  if (bucket === undefined) {
    bucket = qdictHash(key) % BUCKETS;
    if (bucketCache.size < BUCKET_CACHE_SIZE) bucketCache.set(key, bucket);
  }
  return bucket;
}

/**
 * `keys` in the order QEMU writes them: by bucket. Within one bucket the given order is kept
 * (QEMU's would be newest first), so an object parsed from QEMU's own output is written back
 * byte for byte; a handler that builds colliding members lists them in the order QEMU shows.
 */
export function qdictOrder(keys: readonly string[]): string[] {
  const positioned = keys.map((key, given) => ({ key, given, bucket: qdictBucket(key) }));
  positioned.sort((a, b) => a.bucket - b.bucket || a.given - b.given);
  return positioned.map((entry) => entry.key);
}
