/**
 * Someone's input as an answer may quote it: its first line, at most `max` characters, with an
 * ellipsis where anything was left out, so that a pasted page cannot push the rest of the answer
 * out of sight.
 */
export function oneLine(text: string, max = 60): string {
  const lines = text.split(/\r\n|\r|\n/);
  const first = lines[0]!;
  const chars = [...first];
  if (chars.length <= max && lines.length === 1) return first;
  return (
    chars
      .slice(0, Math.max(0, max - 1))
      .join('')
      .trimEnd() + '…'
  );
}
