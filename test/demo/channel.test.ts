import { describe, expect, it } from '@jest/globals';
import { Channel } from '../../demo/channel.js';
import type { RecordedCall } from '../support/slack-api.js';

// The demo's channel, rebuilt from Web API calls as Slack shows them.

const call = (
  method: string,
  args: Record<string, unknown>,
  answer: Record<string, unknown> = {},
): RecordedCall => ({
  method,
  args,
  at: 0,
  answer: { ok: true, ...answer },
});

const section = (text: string) => [{ type: 'section', text: { type: 'mrkdwn', text } }];

function channelWithReport(): Channel {
  const channel = new Channel('C0DEMO', () => 1000);
  channel.apply(
    call(
      'chat.postMessage',
      { channel: 'C0DEMO', text: 'queued', blocks: section('queued') },
      { ts: '1.000001' },
    ),
  );
  return channel;
}

describe('the demo channel', () => {
  it('keeps a post and its updates, and leaves other channels out', () => {
    const channel = channelWithReport();
    channel.apply(
      call('chat.update', { channel: 'C0DEMO', ts: '1.000001', text: 'report', blocks: section('report') }),
    );
    channel.apply(call('chat.postMessage', { channel: 'C0OTHER', text: 'elsewhere' }, { ts: '1.000002' }));
    expect(channel.messages).toHaveLength(1);
    expect(channel.messages[0]).toMatchObject({
      id: '1.000001',
      text: 'report',
      blocks: section('report'),
      updates: 1,
    });
  });

  it('ignores calls Slack refused', () => {
    const channel = new Channel('C0DEMO');
    channel.apply({ method: 'chat.postMessage', args: { channel: 'C0DEMO', text: 'x' }, at: 0 });
    expect(channel.messages).toEqual([]);
  });

  it('puts thread replies and shared files under their message', () => {
    const channel = channelWithReport();
    channel.apply(
      call(
        'chat.postMessage',
        { channel: 'C0DEMO', thread_ts: '1.000001', text: 'decided' },
        { ts: '1.000003' },
      ),
    );
    channel.apply(
      call(
        'files.getUploadURLExternal',
        { filename: 'patch.diff' },
        { upload_url: 'http://127.0.0.1:1/upload/patch.diff', file_id: 'F1' },
      ),
    );
    channel.apply(call('/upload/patch.diff', { bytes: 6, content: '+ a\n- b' }));
    channel.apply(
      call('files.completeUploadExternal', {
        channel_id: 'C0DEMO',
        thread_ts: '1.000001',
        files: JSON.stringify([{ id: 'F1', title: 'The patch' }]),
      }),
    );
    expect(channel.messages.slice(1)).toMatchObject([
      { threadTs: '1.000001', text: 'decided' },
      {
        threadTs: '1.000001',
        uploads: [{ filename: 'patch.diff', title: 'The patch', content: '+ a\n- b' }],
      },
    ]);
  });

  it('shows an uploaded PNG (the loop chart) as an image, not as its bytes read as text', () => {
    const channel = channelWithReport();
    channel.apply(
      call(
        'files.getUploadURLExternal',
        { filename: 'loop.png' },
        { upload_url: 'http://127.0.0.1:1/upload/loop.png', file_id: 'F2' },
      ),
    );
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
    channel.apply(
      call('/upload/loop.png', {
        bytes: png.length,
        content: png.toString('utf8'),
        base64: png.toString('base64'),
      }),
    );
    channel.apply(
      call('files.completeUploadExternal', {
        channel_id: 'C0DEMO',
        thread_ts: '1.000001',
        files: JSON.stringify([{ id: 'F2', title: 'Writes per minute' }]),
      }),
    );
    expect(channel.messages.at(-1)!.uploads).toEqual([
      {
        filename: 'loop.png',
        title: 'Writes per minute',
        content: '',
        image: `data:image/png;base64,${png.toString('base64')}`,
        bytes: 16,
      },
    ]);
  });

  it('applies response_url answers as Slack does: ephemeral to the clicker, or replacing or deleting the message', () => {
    const channel = channelWithReport();
    channel.expectResponse('r1', { userId: 'U0MALLORY', messageId: '1.000001' });
    channel.apply(
      call('response_url', {
        path: '/response/r1',
        response_type: 'ephemeral',
        replace_original: false,
        text: 'no',
      }),
    );
    expect(channel.messages[1]).toMatchObject({ ephemeralTo: 'U0MALLORY', text: 'no', via: 'response_url' });

    channel.expectResponse('r2', { userId: 'U0ALICE', messageId: '1.000001' });
    channel.apply(
      call('response_url', { path: '/response/r2', replace_original: true, text: 'replaced', blocks: [] }),
    );
    expect(channel.messages[0]).toMatchObject({ text: 'replaced', updates: 1 });

    channel.expectResponse('r3', { userId: 'U0ALICE', messageId: '1.000001' });
    channel.apply(call('response_url', { path: '/response/r3', delete_original: true }));
    expect(channel.find('1.000001')).toBeUndefined();
  });

  it("shows chat.postEphemeral and a command's own answer to that user alone", () => {
    const channel = new Channel('C0DEMO');
    channel.commandAnswer({ userId: 'U0ALICE', command: '/rancher help' }, { text: 'How to use' });
    channel.apply(
      call(
        'chat.postEphemeral',
        { channel: 'C0DEMO', user: 'U0MALLORY', text: 'not you' },
        { message_ts: '2.0' },
      ),
    );
    expect(channel.messages).toMatchObject([
      { ephemeralTo: 'U0ALICE', command: '/rancher help', text: 'How to use' },
      { ephemeralTo: 'U0MALLORY', text: 'not you', via: 'chat.postEphemeral' },
    ]);
  });
});
