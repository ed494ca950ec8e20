import type { SlackMessage } from '../../src/slack/render/blocks.js';

/** Every Slack limit a message breaks, as readable strings; empty when it fits. */
export function slackLimitViolations(msg: SlackMessage): string[] {
  const problems: string[] = [];
  if (msg.blocks.length > 50) problems.push(`${msg.blocks.length} blocks`);
  if (msg.text.length > 4000) problems.push(`fallback text ${msg.text.length}`);
  msg.blocks.forEach((b, i) => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- walking Slack's loosely typed JSON
    const block = b as unknown as Record<string, any>;
    if (block.type === 'section' && block.text.text.length > 3000)
      problems.push(`section ${i}: ${block.text.text.length} chars`);
    if (block.type === 'header' && block.text.text.length > 150)
      problems.push(`header ${i}: ${block.text.text.length} chars`);
    if (block.type === 'context') {
      if (block.elements.length > 10) problems.push(`context ${i}: ${block.elements.length} elements`);
      for (const e of block.elements)
        if (e.text.length > 3000) problems.push(`context ${i}: ${e.text.length} chars`);
    }
    if (block.type === 'actions') {
      if (block.elements.length > 25) problems.push(`actions ${i}: ${block.elements.length} elements`);
      for (const e of block.elements) {
        if (e.text.text.length > 75) problems.push(`button text ${e.text.text}`);
        if (e.value.length > 2000) problems.push(`button value ${e.value.length} chars`);
        if (e.action_id.length > 255) problems.push(`action_id ${e.action_id}`);
        if (e.confirm && (e.confirm.title.text.length > 100 || e.confirm.text.text.length > 300))
          problems.push(`confirm ${i}`);
      }
    }
  });
  return problems;
}
