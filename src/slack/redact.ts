/**
 * What Bolt and the Socket Mode client write at `debug` holds things that grant access: the
 * WebSocket URL with its one-time ticket, `response_url`s (anyone holding one can post into the
 * conversation for 30 minutes), and tokens in echoed request bodies. They are cut out of every
 * line before it is logged.
 */
const SECRETS: [RegExp, string][] = [
  [/([?&]ticket=)[^&\s"'\\]+/g, '$1[redacted]'],
  [/(response_url["'\\]*\s*[:=]\s*["'\\]*)[^\s"'&,}\\]+/g, '$1[redacted]'],
  [/https:\/\/hooks\.slack\.com\/[^\s"'\\]+/g, 'https://hooks.slack.com/[redacted]'],
  [/\bxox[a-z]-[A-Za-z0-9-]+/g, 'xox?-[redacted]'],
  [/\bxapp-[A-Za-z0-9-]+/g, 'xapp-[redacted]'],
];

export function redactSecrets(text: string): string {
  let out = text;
  for (const [pattern, replacement] of SECRETS) out = out.replace(pattern, replacement);
  return out;
}

/**
 * An error and its causes in one line ("WebSocket error: connect ECONNREFUSED ..."), secrets cut:
 * the libraries wrap the error that says what went wrong (`cause`, or `original` in Slack's).
 */
export function describeError(err: unknown): string {
  const parts: string[] = [];
  let current: unknown = err;
  for (let depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    const message = current instanceof Error ? current.message : String(current);
    if (message && !parts.some((p) => p.includes(message))) parts.push(message);
    const next: unknown = current instanceof Error ? current.cause : undefined;
    current = next ?? (current as { original?: unknown }).original;
    if (current === err) break;
  }
  return redactSecrets(parts.join(': ') || (err instanceof Error ? err.name : 'unknown error'));
}
