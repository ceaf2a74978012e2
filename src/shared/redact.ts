/**
 * The one place that hides credentials in text meant for people and logs: errors, summaries, reports.
 * A URL's `user:password@` (any scheme: http, https, bolt, neo4j+s, ...) becomes `user:***@`; a bare
 * `secret@` userinfo becomes `***@`.
 */
const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#@:]*)(:[^\s/?#@]*)?@/gi;

export function redactSecrets(text: string): string {
  return text.replace(USERINFO, (_m, scheme: string, user: string, password: string | undefined) =>
    password === undefined ? `${scheme}***@` : `${scheme}${user}:***@`,
  );
}

/** A URL for display: the same URL with its password (or lone userinfo) replaced by `***`. */
export function redactUrl(url: string): string {
  return redactSecrets(url);
}
