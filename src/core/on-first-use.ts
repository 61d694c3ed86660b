/**
 * A module required where it is first used, not when the module naming it loads: node-forge,
 * undici, winston, fast-xml-parser and better-sqlite3 each cost tens of milliseconds to load,
 * and a command that does not use one should not pay for it (test/e2e/startup.test.ts reads
 * what each command loads). The `require` stays in the module that uses it, so the layer
 * checks read it as an import; this keeps its result. A `load` that throws keeps nothing.
 */
export function onFirstUse<T>(load: () => T): () => T {
  let loaded: { value: T } | undefined;
  return () => (loaded ??= { value: load() }).value;
}
