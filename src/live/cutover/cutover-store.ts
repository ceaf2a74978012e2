import { checkPercent, readCutoverState, updateCutoverState, watchCutoverState, type CutoverState } from './cutover-state.js';

/** What a change to the cutover state returns: the next state without revision and time (the store fills them in). */
export type CutoverStateChange = Omit<CutoverState, 'revision' | 'updatedAt'>;

/**
 * Where the cutover lever lives. Every router of a fleet watches the same store, and the CLI changes it:
 * the primary Neo4j ({@link Neo4jCutoverStore}, the built-in choice for more than one process) or a
 * local file ({@link FileCutoverStore}, for one process or one host).
 */
export interface CutoverStateStore {
  /** For messages: the file path, or `neo4j:<name>`. */
  readonly description: string;
  /** The state, or null when there is none yet; a ConfigError when the stored one is not valid. */
  read(): Promise<CutoverState | null>;
  /**
   * Read-modify-write, atomic against every other writer (an operator's `cutover set 0` and a running
   * schedule never overwrite each other's change). `change` gets the current state (the initial one when
   * there is none, or when the stored one cannot be read) and returns the next, or null to leave it.
   */
  update(change: (current: CutoverState) => CutoverStateChange | null): Promise<CutoverState>;
  /**
   * Calls `onChange` with each new state, polling every `pollMs`; never throws: a state that cannot be
   * read or applied goes to `onError` once per version, and the caller keeps its last good state.
   */
  watch(onChange: (state: CutoverState) => void, onError: (err: unknown) => void, pollMs: number): () => void;
  close?(): Promise<void>;
}

/** The state in a local JSON file (written atomically, updated under a lock file), polled by `stat`. */
export class FileCutoverStore implements CutoverStateStore {
  readonly path: string;
  readonly description: string;

  constructor(path: string) {
    this.path = path;
    this.description = path;
  }

  read(): Promise<CutoverState | null> {
    return readCutoverState(this.path);
  }

  update(change: (current: CutoverState) => CutoverStateChange | null): Promise<CutoverState> {
    return updateCutoverState(this.path, change);
  }

  watch(onChange: (state: CutoverState) => void, onError: (err: unknown) => void, pollMs: number): () => void {
    return watchCutoverState(this.path, onChange, pollMs, onError);
  }
}

/** A store given as a path means the file store. */
export function cutoverStore(where: string | CutoverStateStore): CutoverStateStore {
  return typeof where === 'string' ? new FileCutoverStore(where) : where;
}

/** Fills in revision and time, checking the share. */
export function nextCutoverState(current: CutoverState, next: CutoverStateChange, now = Date.now()): CutoverState {
  return { ...next, percent: checkPercent(next.percent), revision: current.revision + 1, updatedAt: new Date(now).toISOString() };
}
