import type { App, RespondFn } from '@slack/bolt';
import type { Logger } from 'pino';
import type { IncidentService } from '../alerts/incidents.js';
import { message, section, type SlackMessage } from './render/blocks.js';
import { ALERT_ACTIONS, SNOOZE_SECONDS } from './render/alerts.js';

/**
 * The alert's own buttons: Acknowledge (who is on it, shown on the message) and Snooze 1 h / 4 h
 * (no new alert for that object until then). The incident's message and thread say what was
 * done; the clicker is told only when it could not be.
 */
export function registerAlertActions(
  app: App,
  incidents: IncidentService,
  log: Logger,
  tellClicker: (respond: RespondFn, msg: SlackMessage, action: string) => Promise<void>,
): void {
  const failed = (what: string): SlackMessage =>
    message(`Could not ${what}`, [section(`:warning: Could not ${what}: try again in a moment.`)]);

  app.action(ALERT_ACTIONS.ack, async ({ ack, body, action, respond }) => {
    await ack();
    if (body.type !== 'block_actions' || action.type !== 'button') return;
    await incidents.acknowledge(action.value ?? '', body.user.id).catch(async (err: unknown) => {
      log.error({ err: String(err) }, 'alerts: acknowledgement failed');
      await tellClicker(respond, failed('record the acknowledgement'), ALERT_ACTIONS.ack);
    });
  });

  app.action(
    new RegExp(`^(${ALERT_ACTIONS.snooze1h}|${ALERT_ACTIONS.snooze4h})$`),
    async ({ ack, body, action, respond }) => {
      await ack();
      if (body.type !== 'block_actions' || action.type !== 'button' || !('action_id' in action)) return;
      const seconds = SNOOZE_SECONDS[action.action_id] ?? 3600;
      await incidents.snooze(action.value ?? '', seconds, body.user.id).catch(async (err: unknown) => {
        log.error({ err: String(err) }, 'alerts: snooze failed');
        await tellClicker(respond, failed('snooze the alert'), action.action_id);
      });
    },
  );
}
