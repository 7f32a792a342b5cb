/**
 * A bounded map that forgets the least recently used entry first. A `Map` iterates in insertion
 * order, so a hit is moved to the end by re-inserting it.
 *
 * Bounded by a number of entries, and optionally by a total weight too (`weigh` gives each
 * entry's, for example its size in bytes): an entry heavier than the whole budget is not kept.
 */
export class Lru<K, V> {
  private readonly map = new Map<K, V>()
  private readonly weights = new Map<K, number>()
  private total = 0
  constructor(
    private readonly capacity: number,
    private readonly maxWeight: number = Number.POSITIVE_INFINITY,
    private readonly weigh: (value: V) => number = () => 0
  ) {}

  get(key: K): V | undefined {
    const hit = this.map.get(key)
    if (hit !== undefined) {
      this.map.delete(key)
      this.map.set(key, hit)
    }
    return hit
  }

  set(key: K, value: V): void {
    this.delete(key)
    if (this.capacity <= 0) return
    const weight = this.weigh(value)
    if (weight > this.maxWeight) return
    this.map.set(key, value)
    if (weight !== 0) this.weights.set(key, weight)
    this.total += weight
    while (this.map.size > this.capacity || this.total > this.maxWeight) {
      this.delete(this.map.keys().next().value!)
    }
  }

  delete(key: K): void {
    if (!this.map.delete(key)) return
    const weight = this.weights.get(key)
    if (weight !== undefined) {
      this.total -= weight
      this.weights.delete(key)
    }
  }

  clear(): void {
    this.map.clear()
    this.weights.clear()
    this.total = 0
  }

  /** How many entries are kept. */
  get size(): number {
    return this.map.size
  }

  /** The total weight of the entries kept. */
  get weight(): number {
    return this.total
  }
}
