import Bottleneck from 'bottleneck';
import type { Schedule } from '../target/target.js';

export interface LimiterSettings {
  /** Records per second; 0 = unlimited. */
  rate: number;
  /** Concurrent requests; 0 = unlimited. */
  concurrency: number;
}

/** Tokens standing for "no rate limit": the bucket is refilled but never runs dry. */
const UNLIMITED_TOKENS = 1e12;
/**
 * How often bottleneck checks the bucket. A refill is late by at most one heartbeat, so the rate error
 * is at most heartbeat / refill interval (5 / 200 = 2.5%, always on the slow side).
 */
const HEARTBEAT_MS = 5;

/** Token-bucket refill: whole tokens per tick of about 200 ms that give `rate` records per second exactly. */
export function refillFor(rate: number): { amount: number; intervalMs: number } {
  if (rate <= 0) return { amount: UNLIMITED_TOKENS, intervalMs: 200 };
  const amount = Math.max(1, Math.round(rate / 5));
  return { amount, intervalMs: (amount * 1000) / rate };
}

/**
 * The token bucket governing target writes (bottleneck): records per second through the reservoir,
 * concurrent requests through maxConcurrent. Settings change while running (`update`).
 * Jobs heavier than one refill acquire their tokens piecewise, so a batch write never stalls.
 */
export class WriteLimiter {
  #settings: LimiterSettings;
  readonly #bottleneck: Bottleneck;
  #scheduled = 0;

  constructor(settings: LimiterSettings) {
    this.#settings = settings;
    this.#bottleneck = new Bottleneck(this.#bottleneckSettings(settings));
  }

  #bottleneckSettings(s: LimiterSettings): Bottleneck.ConstructorOptions {
    // The bucket is always configured (unlimited = a bottomless refill): bottleneck cannot restart its
    // refill timer once a reservoir has been switched off.
    const refill = refillFor(s.rate);
    return {
      maxConcurrent: s.concurrency > 0 ? s.concurrency : null,
      reservoir: refill.amount,
      reservoirRefreshAmount: refill.amount,
      reservoirRefreshInterval: refill.intervalMs,
      heartbeatInterval: HEARTBEAT_MS,
    };
  }

  get settings(): LimiterSettings {
    return { ...this.#settings };
  }

  /** Records scheduled so far. */
  get scheduled(): number {
    return this.#scheduled;
  }

  update(settings: Partial<LimiterSettings>): void {
    this.#settings = { ...this.#settings, ...settings };
    const next = this.#bottleneckSettings(this.#settings);
    this.#bottleneck.updateSettings(next);
  }

  /** The largest weight one bottleneck job may have under the current settings. */
  #maxWeight(): number {
    const refill = refillFor(this.#settings.rate).amount;
    const concurrency = this.#settings.concurrency > 0 ? this.#settings.concurrency : Infinity;
    return Math.min(refill, concurrency);
  }

  readonly schedule: Schedule = async <T>(weight: number, job: () => Promise<T>): Promise<T> => {
    this.#scheduled += weight;
    if (this.#settings.rate <= 0 && this.#settings.concurrency <= 0) return job();
    let remaining = weight;
    for (let max = this.#maxWeight(); remaining > max; max = this.#maxWeight()) {
      await this.#bottleneck.schedule({ weight: max }, async () => undefined);
      remaining -= max;
    }
    return this.#bottleneck.schedule({ weight: Math.max(1, remaining) }, job);
  };

  async stop(): Promise<void> {
    await this.#bottleneck.stop({ dropWaitingJobs: false });
  }
}
