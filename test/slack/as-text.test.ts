import { describe, expect, it } from '@jest/globals';
import { messageAsText } from '../../src/slack/render/as-text.js';
import { actions, context, divider, header, message, section } from '../../src/slack/render/blocks.js';
import type { Block } from '../../src/slack/render/blocks.js';

describe('messageAsText', () => {
  it('lays out every kind of block the product uses, mrkdwn as written', () => {
    const fields: Block = {
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: '*Cluster*\nprod-east' },
        { type: 'mrkdwn', text: '*Node*' },
      ],
    };
    const image: Block = {
      type: 'image',
      image_url: 'https://example.com/a.png',
      alt_text: 'writes per minute',
    };
    const msg = message(
      'Diagnosis of <prod>',
      [
        header('Rancher diagnosis'),
        section('*Cause*\nA node `m-1` rewritten\n```a\nb```'),
        fields,
        context('one', 'two\nlines'),
        divider(),
        image,
        actions('fix-0', [
          {
            text: 'Approve patch',
            actionId: 'approve',
            value: 'p1',
            style: 'primary',
            confirm: { title: 'Patch?', text: 'Patches m-1.\nNow.', confirm: 'Patch', deny: 'Cancel' },
          },
          { text: 'Dismiss', actionId: 'dismiss', value: 'd1' },
        ]),
      ],
      [{ filename: 'p.diff', title: 'Patch', content: '1\n2\n3\n4\n5\n6\n7\n' }],
    );
    expect(messageAsText(msg)).toBe(
      [
        'Notification: Diagnosis of &lt;prod&gt;',
        '='.repeat(72),
        '',
        '# Rancher diagnosis',
        '',
        '*Cause*',
        'A node `m-1` rewritten',
        '```a',
        'b```',
        '',
        '  | *Cluster*',
        '  | prod-east',
        '  | *Node*',
        '',
        '  · one',
        '  · two',
        '  · lines',
        '',
        '---',
        '',
        '[image] writes per minute <https://example.com/a.png>',
        '',
        '[Approve patch] (primary)',
        '    ┌ confirm: Patch?',
        '    │ Patches m-1.',
        '    │ Now.',
        '    └ [Patch]  [Cancel]',
        '[Dismiss]',
        '',
        'File posted in the thread: p.diff "Patch" (7 lines)',
        '  > 1',
        '  > 2',
        '  > 3',
        '  > 4',
        '  > 5',
        '  > … 2 more lines',
        '',
      ].join('\n'),
    );
  });

  it('shows a danger style on the button and on its confirm', () => {
    const msg = message('x', [
      actions('drain-0', [
        {
          text: 'Approve drain and remove',
          actionId: 'drain',
          value: 'd',
          style: 'danger',
          confirm: { title: 'Drain?', text: 'Evicts.', confirm: 'Drain', deny: 'Cancel', style: 'danger' },
        },
      ]),
    ]);
    expect(messageAsText(msg)).toContain(
      '[Approve drain and remove] (danger)\n    ┌ confirm: Drain?\n    │ Evicts.\n    └ [Drain] (danger)  [Cancel]\n',
    );
  });

  it('names a block it cannot lay out instead of failing', () => {
    const odd = { type: 'video', title: { type: 'plain_text', text: 't' } } as unknown as Block;
    expect(messageAsText({ text: 'x', blocks: [odd] })).toContain('[video block, not rendered as text]');
  });
});
