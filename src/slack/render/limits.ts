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

/** Slack's mrkdwn has no escape for these: each becomes a lookalike that formats nothing. */
const INERT: Record<string, string> = {
  '*': '\u2217', // ∗ asterisk operator
  _: '\uff3f', // ＿ fullwidth low line
  '~': '\u223c', // ∼ tilde operator
  '`': '\u02cb', // ˋ modifier letter grave accent
};

const ALNUM = /[A-Za-z0-9]/;

/**
 * The one escape for outside text (names, hostnames, log lines, errors from clusters, what a user
 * typed) wherever Slack reads mrkdwn: sections, context, confirm dialogs, and the fallback `text`,
 * which notifications show and parse (`<!channel>` there pings the channel). `&`, `<` and `>`
 * become entities, so no mention, link or command can be formed. Slack has no escape for `*`, `_`,
 * `~` and backticks: each becomes a lookalike, so the name stays readable and cannot bold,
 * italicise, strike or open code around what follows. Between two letters or digits (RANCHER_URL,
 * snake_case) Slack formats nothing, so there they stay as they are and can be copied. (Wrapping
 * names in inline code instead would show backticks in notifications, and a name's own backtick
 * would still end the code.) Code blocks (`codeBlock`) switch formatting off: log lines keep theirs.
 */
export function esc(text: string): string {
  return text
    .replace(/[*_~`]/g, (c, i: number, all: string) =>
      c !== '`' && ALNUM.test(all[i - 1] ?? '') && ALNUM.test(all[i + 1] ?? '') ? c : INERT[c]!,
    )
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

/** Only the three control characters, for text inside a code block, where nothing else formats. */
function escCode(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A fenced code block whose content fits `max` characters including the fences. */
export function codeBlock(content: string, max: number): string {
  const safe = escCode(content).replace(/```/g, "'''");
  return '```' + cut(safe, max - 6, '\n… (cut)') + '```';
}
