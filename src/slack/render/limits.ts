/** Slack's documented limits for the parts of Block Kit this bot uses. */
export const LIMITS = {
  sectionText: 3000,
  headerText: 150,
  buttonText: 75,
  buttonValue: 2000,
  confirmTitle: 100,
  confirmText: 300,
  contextText: 3000,
  blocksPerMessage: 50,
  /** chat.postMessage truncates `text` beyond 40 000; the notification fallback stays short. */
  fallbackText: 3000,
} as const;

/** Cuts text to at most `max` characters, saying so, so that nothing is silently lost. */
export function cut(text: string, max: number, note = '… (cut)'): string {
  if (text.length <= max) return text;
  return text.slice(0, Math.max(0, max - note.length)) + note;
}

/** Escapes the three characters Slack's mrkdwn treats as control characters. */
export function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A fenced code block whose content fits `max` characters including the fences. */
export function codeBlock(content: string, max: number): string {
  const safe = esc(content).replace(/```/g, "'''");
  return '```' + cut(safe, max - 6, '\n… (cut)') + '```';
}
