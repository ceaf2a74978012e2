/**
 * Deterministic weight tensors from one seed (xoroshiro128+ from `pure-rand`): the same seed and
 * the same sequence of calls give the same numbers on every platform.
 */
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';

type Generator = ReturnType<typeof xoroshiro128plus>;

const INV_2_31 = 1 / 0x80000000;

/** Hands out weight tensors drawn from one seeded generator, in call order. */
export class SeededWeights {
  readonly #rng: Generator;

  constructor(seed: number) {
    if (!Number.isInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
    this.#rng = xoroshiro128plus(seed);
  }

  /** `count` values, uniform with mean 0 and standard deviation `std`. */
  uniform(count: number, std: number): Float32Array {
    const out = new Float32Array(count);
    const scale = std * Math.sqrt(3) * INV_2_31;
    const rng = this.#rng;
    for (let i = 0; i < count; i++) out[i] = rng.next() * scale;
    return out;
  }

  /** `count` copies of `value`. */
  constant(count: number, value: number): Float32Array {
    return new Float32Array(count).fill(value);
  }
}
