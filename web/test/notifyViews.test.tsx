// The notification channel views rendered to HTML (no browser): a
// channel's state, a test's outcome and the channel dialog with its
// write-only fields, in English and Chinese.
import { describe, expect, it } from 'vitest';
import { ApiError } from '../src/api/client';
import type { NotifyChannel } from '../src/api/types';
import { NotifyChannelDialog } from '../src/pages/NotifyChannelDialog';
import { ChannelState, TestOutcome } from '../src/pages/NotifyChannelsPage';
import { html, inLanguage, setLang } from './render';

inLanguage();

const channel: NotifyChannel = {
  name: 'ops-dingtalk',
  type: 'dingtalk',
  source: 'api',
  disabled: true,
  running: false,
  problem: 'its secrets were sealed with another key',
  config: { name: 'ops-dingtalk', type: 'dingtalk', dingtalk: { url: { set: true, redacted: 'https://oapi.dingtalk.com/robot/send?access_token=REDACTED' }, secret: { set: false } } },
  stats: { sent: 0, failed: 0, retried: 0, dropped: 0, queued: 0 },
};

describe('channel views', () => {
  it('show the problem before the disabled state', () => {
    const out = html(<ChannelState ch={channel} />);
    expect(out).toContain('status-lost">problem<');
    expect(out).toContain('>disabled<');
    expect(out).toContain('sealed with another key');
    setLang('zh');
    expect(html(<ChannelState ch={{ ...channel, problem: undefined, disabled: false, running: true }} />)).toContain('运行中');
  });

  it('show a test outcome: delivered, failed with its error, or refused explained', () => {
    expect(html(<TestOutcome tested={{ busy: false, result: { ok: true, duration_ms: 84 } }} />)).toContain('Delivered in 84 ms');
    const failed = html(<TestOutcome tested={{ busy: false, result: { ok: false, error: 'connection refused', permanent: true, duration_ms: 31 } }} />);
    expect(failed).toContain('data-ok="false"');
    expect(failed).toContain('Failed after 31 ms: connection refused');
    expect(failed).toContain('Retrying would not help.');
    const refused = html(<TestOutcome tested={{ busy: false, error: new ApiError(409, 'conflict', 'cannot be used') }} />);
    expect(refused).toContain('data-ok="error"');
    expect(refused).toContain('(409)');
    expect(refused).toContain('cannot be used');
    setLang('zh');
    expect(html(<TestOutcome tested={{ busy: false, result: { ok: true, duration_ms: 5 } }} />)).toContain('已送达，用时 5 毫秒');
  });

  it('edit a channel with its write-only fields shown as set or not, never a value', () => {
    const out = html(<NotifyChannelDialog channel={channel} onClose={() => undefined} onSaved={() => undefined} />);
    expect(out).toContain('Edit channel ops-dingtalk');
    expect(out).toMatch(/data-secret="url" data-set="true"/);
    expect(out).toMatch(/data-secret="secret" data-set="false"/);
    expect(out).toContain('access_token=REDACTED');
    expect(out).toContain('>Keep<');
    expect(out).toContain('>Leave empty<');
    expect(out).toContain('>Clear<');
    expect(out.match(/<input[^>]*name="name"[^>]*>/)?.[0]).toMatch(/readonly/i);
    setLang('zh');
    const zh = html(<NotifyChannelDialog channel={null} onClose={() => undefined} onSaved={() => undefined} />);
    expect(zh).toContain('新建渠道');
    expect(zh).toContain('只写字段');
    expect(zh).toContain('钉钉机器人');
  });
});
