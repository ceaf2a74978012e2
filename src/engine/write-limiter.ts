import Bottleneck from 'bottleneck';
import type { WriteGate } from '../target/target.js';

export interface LimiterSettings {
  /** Records per second; 0 = unlimited. */
  rate: number;
  /** Concurrent requests a target may have in flight (its lanes); 0 = the target's default. */
  concurrency: number;
}

/** Tokens standing for "no rate limit": the bucket is refilled but never runs dry. */
const UNLIMITED_TOKENS = 1e12;
/**
 * How often bottleneck checks the bucket. A refill is late by at most one heartbeat, so the rate error
 * is at most heartbeat / refill interval (5 / 200 = 2.5%, always on the slow side).
 */
const HEARTBEAT_MS = 5;
/**
 * The heartbeat without a rate (writes bypass the bucket): a 5 ms heartbeat woke the main thread 200 times
 * a second for nothing, 2% of a core on an idle machine and more beside a busy server.
 */
const IDLE_HEARTBEAT_MS = 60_000;

function heartbeatFor(rate: number): number {
  return rate > 0 ? HEARTBEAT_MS : IDLE_HEARTBEAT_MS;
}

/** Token-bucket refill: whole tokens per tick of about 200 ms that give `rate` records per second exactly. */
export function refillFor(rate: number): { amount: number; intervalMs: number } {
  if (rate <= 0) return { amount: UNLIMITED_TOKENS, intervalMs: IDLE_HEARTBEAT_MS };
  const amount = Math.max(1, Math.round(rate / 5));
  return { amount, intervalMs: (amount * 1000) / rate };
}

/**
 * The token bucket governing target writes (bottleneck's reservoir): records per second, with jobs
 * weighted by the records they write; plus the request concurrency targets read per batch. Settings
 * change while running (`update`). Jobs heavier than one refill acquire their tokens piecewise.
 * Bottleneck admits only a few hundred jobs per second, so targets schedule chunks, not single records.
 */
export class WriteLimiter implements WriteGate {
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
      reservoir: refill.amount,
      reservoirRefreshAmount: refill.amount,
      reservoirRefreshInterval: refill.intervalMs,
      heartbeatInterval: heartbeatFor(s.rate),
    };
  }

  get settings(): LimiterSettings {
    return { ...this.#settings };
  }

  /** Records scheduled so far. */
  get scheduled(): number {
    return this.#scheduled;
  }

  /** Applies new settings; resolves once bottleneck has taken them. */
  async update(settings: Partial<LimiterSettings>): Promise<void> {
    this.#settings = { ...this.#settings, ...settings };
    await this.#bottleneck.updateSettings(this.#bottleneckSettings(this.#settings));
    // bottleneck 2.19.5: updateSettings() on a limiter whose refill heartbeat runs clears that heartbeat
    // and never restarts it (its _startHeartbeat only starts one when none is set), so the bucket would
    // stop refilling. Restart it.
    // The heartbeat's interval is fixed at construction in bottleneck; it follows the rate here.
    const store = this.#store();
    if (store?._startHeartbeat) {
      clearInterval(store.heartbeat as NodeJS.Timeout);
      store.heartbeat = null;
      store.heartbeatInterval = heartbeatFor(this.#settings.rate);
      store._startHeartbeat();
    }
  }

  #store(): { heartbeat?: unknown; heartbeatInterval?: number; _startHeartbeat?: () => void } | undefined {
    return (this.#bottleneck as unknown as { _store?: { heartbeat?: unknown; heartbeatInterval?: number; _startHeartbeat?: () => void } })._store;
  }

  /** How often the bucket is checked now (ms): every 5 ms with a rate, once a minute without one. */
  get heartbeatMs(): number | undefined {
    return this.#store()?.heartbeatInterval;
  }

  get rated(): boolean {
    return this.#settings.rate > 0;
  }

  get concurrency(): number {
    return this.#settings.concurrency;
  }

  /** The largest weight one bottleneck job may have: one refill. */
  #maxWeight(): number {
    return refillFor(this.#settings.rate).amount;
  }

  readonly schedule = async <T>(weight: number, job: () => Promise<T>): Promise<T> => {
    this.#scheduled += weight;
    if (this.#settings.rate <= 0) return job();
    let remaining = weight;
    for (let max = this.#maxWeight(); remaining > max; max = this.#maxWeight()) {
      await this.#bottleneck.schedule({ weight: max }, async () => undefined);
      remaining -= max;
    }
    return this.#bottleneck.schedule({ weight: Math.max(1, remaining) }, job);
  };

  async stop(): Promise<void> {
    // Called when the run ends; jobs still waiting belong to a run that was stopped.
    await this.#bottleneck.stop({ dropWaitingJobs: true });
  }
}
