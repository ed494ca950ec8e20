import { utcMinute } from '../../text/time.js';

/**
 * A time as Slack shows it: in each reader's own time zone and format. Clients that cannot
 * (notifications, old apps) show the fallback, in UTC.
 */
export function slackDate(iso: string, format = '{date_short_pretty} {time}'): string {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) return iso;
  return `<!date^${Math.floor(ms / 1000)}^${format}|${utcMinute(iso)}>`;
}
