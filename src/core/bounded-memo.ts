/**
 * Values made once and kept for their key, at most `max` of them: when full, the oldest is
 * forgotten first. For work whose result depends on its key alone (a parse, a decode), done
 * again and again by a busy process. A `make` that throws keeps nothing.
 */
export class BoundedMemo<V> {
  private readonly values = new Map<string, V>();

  constructor(private readonly max: number) {}

  get(key: string, make: () => V): V {
    if (this.values.has(key)) return this.values.get(key) as V;
    const value = make();
    if (this.values.size >= this.max) this.values.delete(this.values.keys().next().value as string);
    this.values.set(key, value);
    return value;
  }
}
