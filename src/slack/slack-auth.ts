import { UsageError } from '../errors.js';

/**
 * Slack's answers that mean the token itself is refused: asking again with the same token cannot
 * succeed, so the process stops and says which setting to change.
 */
const REFUSED_TOKEN_ERRORS = new Set([
  'invalid_auth',
  'not_authed',
  'token_revoked',
  'token_expired',
  'account_inactive',
  'not_allowed_token_type',
  'missing_scope',
  'team_disabled',
  'user_removed_from_team',
  'app_uninstalled',
]);

/** The Slack error code of a refused token (`invalid_auth`, ...), or null for anything else. */
export function refusedTokenError(err: unknown): string | null {
  const code = (err as { data?: { error?: unknown } } | null)?.data?.error;
  return typeof code === 'string' && REFUSED_TOKEN_ERRORS.has(code) ? code : null;
}

type TokenSetting = 'SLACK_BOT_TOKEN' | 'SLACK_APP_TOKEN';

const WHAT_TO_DO: Record<TokenSetting, string> = {
  SLACK_BOT_TOKEN:
    'set it to the Bot User OAuth Token (xoxb-...) of an installed app (OAuth & Permissions), then restart',
  SLACK_APP_TOKEN:
    'set it to an app-level token (xapp-...) with the connections:write scope (Basic Information → App-Level Tokens), then restart',
};

/** Slack refused one of the tokens: a bad setting, reported like any other (exit code 2). */
export class SlackTokenRefusedError extends UsageError {
  readonly setting: TokenSetting;
  readonly slackError: string;
  constructor(setting: TokenSetting, slackError: string, call: string) {
    super(`${setting} was refused by Slack (${call}: ${slackError}): ${WHAT_TO_DO[setting]}`);
    this.setting = setting;
    this.slackError = slackError;
  }
}
