import { z } from 'zod';
import { SPACE_ID } from '../mapping/types.js';

/**
 * The one schema of engram-migrate's configuration. Every field has a default, so an empty config file
 * is valid; unknown keys are errors (a typo must not silently become a default).
 */

const positiveInt = z.number().int().positive();
const nonNegative = z.number().nonnegative();
/** Upper bounds: a typo such as `workers: 80000` must be an error naming the option, not a run that spawns 80,000 threads. */
const atMost = (max: number) => ({ message: `must be at most ${max.toLocaleString('en-US')}` });
const intIn = (min: number, max: number) =>
  z
    .number()
    .int()
    .min(min, { message: `must be a whole number ≥ ${min}` })
    .max(max, atMost(max));
const HOUR_MS = 3_600_000;

const spaceId = z.string().regex(SPACE_ID, 'must be 3-64 characters of a-z, 0-9, _ and -');

const edgeWeightRule = z.union([
  z
    .object({
      property: z.string().min(1),
      divisor: z.number().positive().default(1),
      max: z.number().default(1),
      min: z.number().default(0),
    })
    .strict(),
  z.object({ constant: z.number() }).strict(),
]);

export const sourceSchema = z
  .object({
    uri: z.string().default('bolt://127.0.0.1:7687'),
    user: z.string().default('neo4j'),
    password: z.string().default(''),
    database: z.string().default('neo4j'),
    /** Labels to migrate, in order; default: every label in the database. */
    labels: z.array(z.string().min(1)).optional(),
    /** Records per PULL from the server. */
    fetchSize: intIn(1, 100_000).default(2000),
    /**
     * Parallel readers, each a thread with its own connection over a slice of every label's node-id range.
     * Decoding 768-float embeddings saturates one core at about 15k nodes/s. 0 = one per core into a
     * bundle; into Engram, whose ingest is far slower than one reader, the main thread alone.
     */
    readers: intIn(0, 256).default(0),
    /** Encrypt Bolt (bolt:// and neo4j:// URIs; the +s and +ssc schemes decide this themselves). */
    encrypted: z.boolean().optional(),
    /** PEM files of the CAs to trust for Bolt TLS instead of the system's; implies `encrypted`. */
    trustedCertificates: z.array(z.string().min(1)).min(1).optional(),
  })
  .strict()
  .superRefine((source, ctx) => {
    if ((source.encrypted !== undefined || source.trustedCertificates) && /^[a-z0-9]+\+(s|ssc):/i.test(source.uri)) {
      ctx.addIssue({
        code: 'custom',
        path: [source.trustedCertificates ? 'trustedCertificates' : 'encrypted'],
        message: 'cannot be combined with a +s or +ssc URI scheme (it sets encryption and trust itself); use bolt:// or neo4j://',
      });
    }
    if (source.encrypted === false && source.trustedCertificates) {
      ctx.addIssue({ code: 'custom', path: ['trustedCertificates'], message: 'needs encryption; remove source.encrypted: false' });
    }
  })
  .prefault({});

export const mappingSchema = z
  .object({
    /**
     * Label → its key: one property, or several for a composite key. The key's values become the memory
     * id (see src/mapping/memory-id.ts). Labels not listed use `key` when it is set, else the database's
     * own uniqueness or node-key constraint on the label, else Neo4j's element id.
     */
    keys: z.record(z.string(), z.union([z.string().min(1), z.array(z.string().min(1)).min(1)])).default({}),
    /** The key property of every label not listed in `keys` (unset: read the database's constraints). */
    key: z.string().min(1).optional(),
    /** Label → memory space. Labels not listed go to `defaultSpace`, where `{label}` is the lowercased label. */
    spaces: z.record(z.string(), spaceId).default({}),
    defaultSpace: z.string().default('{label}'),
    /**
     * Label → shard count: the label's memories are spread over spaces `{space}-0` … `{space}-{n-1}` by
     * a hash of the memory id (src/mapping/shard.ts). Labels not listed shard themselves when they
     * exceed `target.shardFill` of `target.capacityPerSpace`.
     */
    shards: z.record(z.string(), intIn(1, 1000)).default({}),
    /** Label → memory type; default: the label itself. */
    memoryTypes: z.record(z.string(), z.string()).default({}),
    /** Label → content template such as `"{name}: {content}"`; labels not listed get stable JSON of their properties. */
    contentTemplates: z.record(z.string(), z.string()).default({}),
    /** Properties left out of content everywhere (the embedding property always is). */
    excludeProperties: z.array(z.string()).default([]),
    embeddingProperty: z.string().default('embedding'),
    /** Label → properties joined to make the text a missing embedding is generated from. */
    textProperties: z.record(z.string(), z.array(z.string()).min(1)).default({}),
    /** Used for labels without an entry in `textProperties`; the first present property wins. */
    defaultTextProperties: z.array(z.string()).min(1).default(['content', 'text', 'title', 'name']),
    /** Generate an embedding when a node has none; when false such nodes are rejected. */
    generateMissingEmbeddings: z.boolean().default(true),
    /**
     * A stored embedding that is a list of numbers of another width (384, 1536, ...): `reject` the node
     * (EMBEDDING_WIDTH), or `regenerate` one from its text with the run's model, as for a missing one.
     */
    onWrongWidth: z.enum(['reject', 'regenerate']).default('reject'),
    timestampProperty: z.string().default('created_at'),
    /** The article initialises strength to 1.0; Engram's API calls it confidence. */
    strength: z.number().min(0).max(1).default(1),
    /** Relationship type → weight rule; defaults follow the article (READ: duration/300 capped at 1; SIMILAR_TO: similarity). */
    edgeWeights: z.record(z.string(), edgeWeightRule).default({
      READ: { property: 'duration', divisor: 300, max: 1, min: 0 },
      SIMILAR_TO: { property: 'similarity', divisor: 1, max: 1, min: 0 },
    }),
    defaultEdgeWeight: z.number().default(0.5),
  })
  .strict()
  .prefault({});

export const targetSchema = z
  .object({
    kind: z.enum(['bundle', 'engram']).default('bundle'),
    /** Bundle directory (bundle target). */
    path: z.string().default('./bundle'),
    url: z.string().url().default('http://127.0.0.1:7432'),
    apiKey: z.string().default(''),
    /** Concurrent HTTP requests to Engram. */
    concurrency: intIn(1, 1024).default(16),
    timeoutMs: intIn(1, HOUR_MS).default(30_000),
    maxRetries: intIn(0, 1000).default(10),
    retryBaseMs: intIn(1, HOUR_MS).default(200),
    retryMaxMs: intIn(1, HOUR_MS).default(30_000),
    /** Memories per space the target holds before it evicts (Engram: 100,000). */
    capacityPerSpace: intIn(1, 1_000_000_000).default(100_000),
    /** A label with more nodes than this share of `capacityPerSpace` is sharded automatically (see mapping.shards). */
    shardFill: z.number().gt(0, { message: 'must be greater than 0' }).max(1, atMost(1)).default(0.8),
    /** What to do when the plan would overflow a space: refuse to start, or warn and go on. */
    onOverflow: z.enum(['refuse', 'warn']).default('refuse'),
    /**
     * Writes the target would drop as near-duplicates (cosine ≥ 0.95 within a space, src/dedup): `record` them
     * in the run's dedup map and go on, `refuse` (stop before the batch, or with --preflight before any
     * write), or `off` (do not predict them). Default: `record` for an Engram target, `off` for a bundle
     * (a bundle keeps every memory; the predictor costs ~3 ms of CPU per memory, see bench/dedup-index.ts).
     */
    onDedup: z.enum(['record', 'refuse', 'off']).optional(),
    /** PEM file of the CA(s) that signed Engram's certificate, for an https URL with a private CA. */
    ca: z.string().min(1).optional(),
    /** PEM client certificate and its key, for an Engram behind mutual TLS (give both). */
    cert: z.string().min(1).optional(),
    key: z.string().min(1).optional(),
  })
  .strict()
  .superRefine((target, ctx) => {
    if ((target.cert === undefined) !== (target.key === undefined))
      ctx.addIssue({ code: 'custom', path: [target.cert === undefined ? 'cert' : 'key'], message: 'target.cert and target.key go together' });
    const tls = (['ca', 'cert', 'key'] as const).find((k) => target[k] !== undefined);
    if (tls && !target.url.startsWith('https:')) ctx.addIssue({ code: 'custom', path: [tls], message: 'only applies to an https:// target.url' });
  })
  .prefault({});

export const engineSchema = z
  .object({
    /** Nodes per batch (the article's sweet spot: 10,000). */
    batchSize: intIn(1, 100_000).default(10_000),
    /** Pause between batches, as in the article (100 ms). 0 turns it off. */
    pauseMs: nonNegative.max(HOUR_MS, atMost(HOUR_MS)).default(100),
    /** Records per second written to the target; 0 = unlimited. */
    rate: nonNegative.max(1_000_000_000, atMost(1_000_000_000)).default(0),
    /** Worker threads; 0 = one per core. */
    workers: intIn(0, 256).default(0),
    /** ONNX Runtime threads per worker; 0 = so that workers × threads fits the cores. */
    inferenceThreads: intIn(0, 256).default(0),
    /** Batches mapped ahead of the writer. */
    maxInflightBatches: intIn(1, 64).default(3),
    /** Relationships per page when streaming edges (source nodes per page). */
    edgeBatchSize: intIn(1, 100_000).default(5_000),
    /** Migrate relationships after the nodes; off = nodes only. */
    edges: z.boolean().default(true),
    /**
     * The property the live dual writer stamps on every node it writes (`Neo4jGraphDatabase`'s
     * `writtenAtProperty`). With a target that can rewrite (Engram), each written batch's stamps are
     * read again, and nodes the live side wrote after the backfill read them are rewritten at their
     * current version (README: race-safe backfill). null: no check.
     */
    liveStampProperty: z.string().min(1).nullable().default('_live_written_at'),
    /** Rewrite rounds per batch before a node still written live meanwhile is rejected as LIVE_RACE_UNSETTLED. */
    liveRaceRounds: intIn(1, 100).default(5),
  })
  .strict()
  .prefault({});

export const modelSchema = z
  .object({
    /** A local folder in transformers.js layout, or a hub id when `allowRemote` is on. */
    path: z.string().default('./models/tiny'),
    allowRemote: z.boolean().default(false),
    dtype: z.enum(['fp32', 'q8']).default('fp32'),
    maxTokens: positiveInt.default(256),
    /** Texts per inference call (per request with provider openai). */
    batchSize: intIn(1, 4096).default(16),
    /**
     * Local models: sort each slice's texts by token length and batch similar lengths together (less
     * padding), at most `batchSize` texts and `tokensPerBatch` padded tokens per inference call.
     */
    sortByLength: z.boolean().default(true),
    tokensPerBatch: intIn(1, 1_000_000).default(1024),
    /** `local`: transformers.js in the workers; `openai`: an OpenAI-compatible `POST {url}/v1/embeddings` server. */
    provider: z.enum(['local', 'openai']).default('local'),
    /** ONNX Runtime execution provider for `local`: `cuda` needs onnxruntime-node with CUDA and an NVIDIA GPU. */
    device: z.enum(['cpu', 'cuda']).default('cpu'),
    /** provider openai: the server root, e.g. http://127.0.0.1:8080. */
    url: z.string().url().optional(),
    /** provider openai: the model name the server knows (sent as `model`). */
    name: z.string().min(1).optional(),
    /** provider openai: bearer token; prefer EMBEDDINGS_API_KEY or `apiKeyFile`. */
    apiKey: z.string().default(''),
    /** provider openai: a file holding the bearer token. */
    apiKeyFile: z.string().min(1).optional(),
    /** provider openai: send `dimensions: 768` (OpenAI text-embedding-3-*, Matryoshka models). */
    sendDimensions: z.boolean().default(false),
    /** provider openai: requests in flight per worker thread. */
    concurrency: intIn(1, 256).default(4),
    timeoutMs: intIn(1, HOUR_MS).default(60_000),
    maxRetries: intIn(0, 1000).default(8),
    retryBaseMs: intIn(1, HOUR_MS).default(500),
    retryMaxMs: intIn(1, HOUR_MS).default(30_000),
  })
  .strict()
  .superRefine((model, ctx) => {
    if (model.provider === 'openai') {
      if (model.url === undefined) ctx.addIssue({ code: 'custom', path: ['url'], message: 'is required with model.provider: openai' });
      if (model.name === undefined)
        ctx.addIssue({ code: 'custom', path: ['name'], message: "is required with model.provider: openai (the server's model name)" });
      if (model.device !== 'cpu')
        ctx.addIssue({ code: 'custom', path: ['device'], message: 'applies to model.provider: local only (the server picks its own device)' });
    }
    if (model.apiKey !== '' && model.apiKeyFile !== undefined)
      ctx.addIssue({ code: 'custom', path: ['apiKeyFile'], message: 'set either model.apiKey (or EMBEDDINGS_API_KEY) or model.apiKeyFile, not both' });
  })
  .prefault({});

export const validateSchema = z
  .object({
    sampleSize: positiveInt.default(1000),
    seed: z.number().int().default(1),
    /** Failure thresholds as fractions (article: missing 0%, embedding mismatch < 0.01%, edge count < 0.1%). */
    maxMissingRate: nonNegative.default(0),
    maxEmbeddingMismatchRate: nonNegative.default(0.0001),
    maxEdgeMismatchRate: nonNegative.default(0.001),
    /** Records (nodes, and relationships) the backfill rejected, as a share of those in Neo4j (article: 0% missing). */
    maxRejectedRate: nonNegative.default(0),
    minCosine: z.number().min(-1).max(1).default(0.99),
  })
  .strict()
  .prefault({});

export const configSchema = z
  .object({
    source: sourceSchema,
    mapping: mappingSchema,
    target: targetSchema,
    engine: engineSchema,
    model: modelSchema,
    validate: validateSchema,
    /** Where checkpoints, the reject log, the edge sidecar and reports go. */
    runDir: z.string().default('.runs/backfill'),
  })
  .strict();

export type MigrateOptions = z.input<typeof configSchema>;
export type ResolvedConfig = Readonly<z.output<typeof configSchema>>;
export type ResolvedMapping = ResolvedConfig['mapping'];
export type EdgeWeightRule = z.output<typeof edgeWeightRule>;
