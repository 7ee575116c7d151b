// hash-wasm's single-algorithm UMD build of xxHash64 ships without type declarations; what
// checksum.ts uses of it.
declare module 'hash-wasm/dist/xxhash64.umd.min.js' {
  interface Hasher {
    init(): unknown;
    update(data: Uint8Array): unknown;
    digest(encoding: 'hex'): string;
  }
  const api: { createXXHash64(): Promise<Hasher> };
  export default api;
}
