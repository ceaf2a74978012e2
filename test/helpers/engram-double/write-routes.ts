/**
 * TEST DOUBLE of the Engram HTTP server (not Engram): write routes.
 * - `POST /api/v1/memories/remember` -> 201 (also when the write was deduplicated away)
 * - `POST /api/v1/episodes/remember` -> 201, `what` stored as content, `when` as time
 * - `POST /api/v1/memories` -> forwards `content`/`confidence` only: no id, no embedding, space `default`
 * - `DELETE /api/v1/memories/{id}` -> 200 `{"status":"not_supported"}`, nothing deleted
 */
import { randomBytes } from 'node:crypto';
import { invalidInput, type DoubleResponse } from './engram-errors.js';
import { parseEpisodeBody, parseRememberBody, type RememberBody } from './remember-request.js';
import { json } from './request-io.js';
import { confidenceCategory, resolveSpace, serdeTime, type RouteContext } from './route-context.js';
import { EMBEDDING_DIM } from './types.js';

/** The vector Engram stores for a memory sent without embedding. */
export const MEMORY_PLACEHOLDER_EMBEDDING = new Float32Array(EMBEDDING_DIM).fill(0.5);
/** The vector Engram stores for an episode sent without embedding. */
export const EPISODE_PLACEHOLDER_EMBEDDING = new Float32Array(EMBEDDING_DIM).fill(0.6);

function generatedId(prefix: string): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`;
}

interface StoreOptions {
  idPrefix: 'mem' | 'ep';
  placeholder: Float32Array;
  space: string;
  kind: 'memory' | 'episode';
}

function storeAndAnswer(ctx: RouteContext, body: RememberBody, opts: StoreOptions): DoubleResponse {
  const id = body.id ?? generatedId(opts.idPrefix);
  const observedAt = body.timestampMs ?? Date.now();
  const result = ctx.store.space(opts.space).remember({
    id,
    content: body.content,
    embedding: body.embedding ?? opts.placeholder,
    confidence: body.confidence,
    timestampMs: observedAt,
  });
  ctx.recordWrite(result);
  const activation = result.activation;
  const reasoning =
    opts.kind === 'episode'
      ? `Episodic memory stored with activation ${activation.toFixed(2)}, rich context aids consolidation`
      : (body.reasoning ?? 'Default confidence for user-provided memory');
  const autoLinks =
    body.autoLink === undefined
      ? []
      : [
          {
            target_memory_id: 'example_linked_memory',
            similarity_score: body.autoLink.threshold + 0.1,
            link_reason: 'Semantic similarity detected in content patterns',
          },
        ];
  const label = opts.kind === 'episode' ? 'Episode' : 'Memory';
  return json(201, {
    memory_id: id,
    storage_confidence: { value: activation, category: confidenceCategory(activation), reasoning },
    consolidation_state: 'Recent',
    observed_at: serdeTime(observedAt),
    stored_at: serdeTime(Date.now()),
    links: { consolidation: '/api/v1/consolidations' },
    auto_links: autoLinks,
    system_message: `${label} '${id}' successfully encoded with ${activation.toFixed(2)} activation.`,
  });
}

/** `POST /api/v1/memories/remember`. */
export function rememberMemory(ctx: RouteContext): DoubleResponse {
  const parsed = parseRememberBody(ctx.body ?? {});
  if (!parsed.ok) return parsed.response;
  const space = resolveSpace(ctx, parsed.value.bodySpace);
  if (!space.ok) return space.response;
  return storeAndAnswer(ctx, parsed.value, { idPrefix: 'mem', placeholder: MEMORY_PLACEHOLDER_EMBEDDING, space: space.value, kind: 'memory' });
}

/** `POST /api/v1/episodes/remember`. */
export function rememberEpisode(ctx: RouteContext): DoubleResponse {
  const parsed = parseEpisodeBody(ctx.body ?? {});
  if (!parsed.ok) return parsed.response;
  const space = resolveSpace(ctx, parsed.value.bodySpace);
  if (!space.ok) return space.response;
  return storeAndAnswer(ctx, parsed.value, { idPrefix: 'ep', placeholder: EPISODE_PLACEHOLDER_EMBEDDING, space: space.value, kind: 'episode' });
}

/** `POST /api/v1/memories`: the CLI route that ignores id, embedding and every space selector. */
export function createMemoryRest(ctx: RouteContext): DoubleResponse {
  const body = ctx.body ?? {};
  if (typeof body['content'] !== 'string') return invalidInput("Missing 'content' field");
  const forwarded: Record<string, unknown> = { content: body['content'], memory_type: 'semantic', auto_link: false };
  if (typeof body['confidence'] === 'number') forwarded['confidence'] = body['confidence'];
  const parsed = parseRememberBody(forwarded);
  if (!parsed.ok) return parsed.response;
  return storeAndAnswer(ctx, parsed.value, { idPrefix: 'mem', placeholder: MEMORY_PLACEHOLDER_EMBEDDING, space: 'default', kind: 'memory' });
}

/** `DELETE /api/v1/memories/{id}`: never deletes. */
export function deleteMemory(ctx: RouteContext): DoubleResponse {
  return json(200, {
    status: 'not_supported',
    message: 'Memory deletion is not supported in Engram due to cognitive design principles',
    memory_id: ctx.pathId ?? '',
    rationale:
      "Human memory systems don't support instant deletion - memories naturally decay over time or can be suppressed, but instant removal would break spreading activation paths and consolidation processes",
    alternatives: [
      'Allow natural decay (memories not recalled lose activation over time)',
      'Adjust recall thresholds to reduce retrieval likelihood',
      'Future: Use suppression mechanisms to gradually reduce activation',
    ],
  });
}
