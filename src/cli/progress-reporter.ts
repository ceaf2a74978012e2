import cliProgress from 'cli-progress';

export interface ProgressReporterOptions {
  /** Bars on a terminal; plain periodic lines otherwise (CI logs). Default: stderr is a TTY and CI is unset. */
  interactive?: boolean;
  /** Seconds between plain lines. */
  intervalSeconds?: number;
  stream?: NodeJS.WriteStream;
  quiet?: boolean;
}

/**
 * Progress per phase with rate and ETA: a cli-progress bar on a terminal, a plain line every few seconds
 * when output goes to a log.
 */
export class ProgressReporter {
  readonly #interactive: boolean;
  readonly #interval: number;
  readonly #stream: NodeJS.WriteStream;
  readonly #quiet: boolean;
  #bar: cliProgress.SingleBar | null = null;
  #phase = '';
  #phaseStart = 0;
  #lastLine = 0;
  #phaseDone = 0;
  #lastDone = -1;

  constructor(options: ProgressReporterOptions = {}) {
    this.#stream = options.stream ?? process.stderr;
    this.#interactive = options.interactive ?? (Boolean(this.#stream.isTTY) && !process.env.CI);
    this.#interval = (options.intervalSeconds ?? 10) * 1000;
    this.#quiet = options.quiet ?? false;
  }

  /** Reports `done` of `total` for `phase`; `extra` is shown after the counts. */
  update(phase: string, done: number, total: number, extra = ''): void {
    if (this.#quiet) return;
    const now = Date.now();
    if (phase !== this.#phase) {
      this.#finishBar();
      this.#phase = phase;
      this.#phaseStart = now;
      this.#phaseDone = done;
      this.#lastLine = 0;
      this.#lastDone = -1;
    }
    if (done === this.#lastDone && !this.#bar) return;
    this.#lastDone = done;
    if (this.#interactive && this.#bar === null) {
      this.#bar = new cliProgress.SingleBar(
        {
          format: `${phase.padEnd(10)} [{bar}] {percentage}% | {value}/{total} | {rate}/s | ETA {eta_formatted} | {extra}`,
          stream: this.#stream,
          hideCursor: true,
          etaBuffer: 50,
        },
        cliProgress.Presets.shades_classic,
      );
      this.#bar.start(Math.max(total, done, 1), done, { rate: 0, extra });
    }
    // The first batch lands before any rate can be measured: show none rather than a huge one.
    const seconds = (now - this.#phaseStart) / 1000;
    const rate = seconds >= 1 ? Math.round((done - this.#phaseDone) / seconds) : 0;
    if (this.#bar) {
      this.#bar.setTotal(Math.max(total, done, 1));
      this.#bar.update(done, { rate, extra });
    } else if (now - this.#lastLine >= this.#interval || done >= total) {
      this.#lastLine = now;
      const eta = rate > 0 && total > done ? `${Math.round((total - done) / rate)}s` : '-';
      const shown = rate > 0 ? `${rate}/s` : '-/s';
      const pct = total > 0 ? ((100 * done) / total).toFixed(1) : '100.0';
      this.#stream.write(`[${new Date(now).toISOString()}] ${phase}: ${done}/${total} (${pct}%) ${shown} eta ${eta}${extra ? ` ${extra}` : ''}\n`);
    }
  }

  /** A message line that does not tear the bar. */
  log(line: string): void {
    if (this.#quiet) return;
    // The bar is redrawn by the next update, below the line.
    this.#finishBar();
    this.#stream.write(`${line}\n`);
  }

  #finishBar(): void {
    this.#bar?.stop();
    this.#bar = null;
  }

  stop(): void {
    this.#finishBar();
  }
}
