/**
 * TEST DOUBLE of the Engram HTTP server (not Engram): the server's error answers.
 * JSON errors carry `{"error": {code, message, educational_context, cognitive_guidance},
 * "documentation": {...}}` with the texts of Engram's `ApiError::into_response`; extractor failures
 * (malformed JSON, wrong content type, wrong field types, oversized body) are axum's plain-text answers.
 */

/** An error code Engram answers with, and its HTTP status. */
export const ENGRAM_ERROR_STATUS = {
  INVALID_MEMORY_INPUT: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  MEMORY_NOT_FOUND: 404,
  MEMORY_VALIDATION_ERROR: 422,
  MEMORY_SYSTEM_ERROR: 500,
  MEMORY_CLUSTER_UNAVAILABLE: 503,
} as const;

/** One of Engram's JSON error codes. */
export type EngramErrorCode = keyof typeof ENGRAM_ERROR_STATUS;

const EDUCATIONAL_CONTEXT: Record<EngramErrorCode, string> = {
  INVALID_MEMORY_INPUT: 'Memory operations require well-formed inputs. Check the API documentation for proper request structure.',
  UNAUTHORIZED: 'Requests to this memory system must present a valid API key.',
  FORBIDDEN: 'The presented API key is not allowed to access this memory system.',
  MEMORY_NOT_FOUND: 'Memory retrieval failed - the requested memory may have been forgotten or never encoded. Try a broader search query.',
  MEMORY_VALIDATION_ERROR: 'Memory content validation failed. Ensure your input follows cognitive encoding principles.',
  MEMORY_SYSTEM_ERROR: 'The memory system encountered an internal error. Cognitive processes may be temporarily disrupted.',
  MEMORY_CLUSTER_UNAVAILABLE: 'The memory cluster is temporarily unavailable. Retry after the indicated delay.',
};

function guidance(code: EngramErrorCode): string {
  if (code === 'INVALID_MEMORY_INPUT') {
    return 'Memories need meaningful content and context. Think about what makes this memory important.';
  }
  if (code === 'MEMORY_NOT_FOUND') {
    return 'Try different recall cues - memories are often accessible through alternative pathways.';
  }
  return 'Review the memory system documentation for guidance on proper operations.';
}

/** A fully formed HTTP answer. */
export interface DoubleResponse {
  status: number;
  headers?: Record<string, string>;
  /** JSON value (serialised) or plain text (`text` set). */
  body?: unknown;
  text?: string;
}

/** Engram's JSON error answer for `code`. */
export function engramError(code: EngramErrorCode, message: string, headers?: Record<string, string>): DoubleResponse {
  const body = {
    error: {
      code,
      message,
      educational_context: EDUCATIONAL_CONTEXT[code],
      cognitive_guidance: guidance(code),
    },
    documentation: {
      api_guide: '/docs/api',
      memory_concepts: '/docs/memory-systems',
      examples: '/docs/examples',
    },
  };
  return headers === undefined ? { status: ENGRAM_ERROR_STATUS[code], body } : { status: ENGRAM_ERROR_STATUS[code], body, headers };
}

/** 400 INVALID_MEMORY_INPUT. */
export function invalidInput(message: string): DoubleResponse {
  return engramError('INVALID_MEMORY_INPUT', message);
}

/** 404 MEMORY_NOT_FOUND, with the server's doubled wording. */
export function memoryNotFound(id: string): DoubleResponse {
  return engramError('MEMORY_NOT_FOUND', `Memory 'Memory with ID '${id}' not found' not found in the cognitive graph`);
}

/** A plain-text answer as the web framework (axum) produces it. */
export function plainText(status: number, text: string, headers?: Record<string, string>): DoubleResponse {
  return headers === undefined ? { status, text } : { status, text, headers };
}

/** axum `JsonRejection::JsonSyntaxError`. */
export function jsonSyntaxError(detail: string): DoubleResponse {
  return plainText(400, `Failed to parse the request body as JSON: ${detail}`);
}

/** axum `JsonRejection::JsonDataError` (a field of the wrong type or missing). */
export function jsonDataError(detail: string): DoubleResponse {
  return plainText(422, `Failed to deserialize the JSON body into the target type: ${detail}`);
}

/** axum `JsonRejection::MissingJsonContentType`. */
export function missingJsonContentType(): DoubleResponse {
  return plainText(415, 'Expected request with `Content-Type: application/json`');
}

/** axum `LengthLimitError` (DefaultBodyLimit, 2 MiB). */
export function bodyTooLarge(): DoubleResponse {
  return plainText(413, 'Failed to buffer the request body: length limit exceeded', { connection: 'close' });
}

/** axum `QueryRejection::FailedToDeserializeQueryString`. */
export function queryError(detail: string): DoubleResponse {
  return plainText(400, `Failed to deserialize query string: ${detail}`);
}

/** An injected error of any status: Engram's JSON body when it has a code for it, else plain text. */
export function injectedError(status: number, retryAfterSeconds: number): DoubleResponse {
  const retry = status === 503 || status === 429 ? { 'retry-after': String(retryAfterSeconds) } : undefined;
  const code = (Object.keys(ENGRAM_ERROR_STATUS) as EngramErrorCode[]).find((c) => ENGRAM_ERROR_STATUS[c] === status);
  if (code === undefined) return plainText(status, `Injected fault: HTTP ${status}`, retry);
  return engramError(code, `Injected fault: ${code} (test double)`, retry);
}
