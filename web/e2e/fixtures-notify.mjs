// Fixture data for the notification channel routes of the fake API: two
// channels of the notification file, a running channel of the API and one
// whose secrets the center cannot open, in the shapes of
// GET /api/v1/notify/channels. Secrets are kept apart, as the center seals
// them; views show them as {"set": true}. Times are relative to `now`.

const minute = 60_000;
const hour = 3_600_000;
const day = 86_400_000;

/** @param {number} now @param {number} ms */
function at(now, ms) {
  return new Date(now + ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const zero = { sent: 0, failed: 0, retried: 0, dropped: 0, queued: 0 };

/**
 * makeNotifyChannels returns the channels with their full configuration
 * (secrets included, never shown) and counters.
 * @param {number} now
 */
export function makeNotifyChannels(now) {
  return [
    {
      source: 'file',
      config: {
        name: 'soc-webhook',
        type: 'webhook',
        language: 'zh',
        time_zone: 'Asia/Shanghai',
        filter: { min_severity: 'high' },
        webhook: { url: 'https://soc.example.com/hooks/vigil', secret: 'file-signing-secret', headers: { Authorization: 'Bearer file-token' } },
      },
      stats: { sent: 42, failed: 1, retried: 3, dropped: 0, queued: 0, last_sent_at: at(now, -12 * minute), last_error: 'POST https://soc.example.com/hooks/vigil: 502 Bad Gateway', last_error_at: at(now, -2 * hour) },
    },
    {
      source: 'file',
      config: { name: 'siem-syslog', type: 'syslog', syslog: { network: 'tcp', address: '192.0.2.20:6514', format: 'rfc5424' } },
      stats: { sent: 1280, failed: 0, retried: 0, dropped: 2, queued: 1, last_sent_at: at(now, -minute) },
    },
    {
      source: 'api',
      config: {
        name: 'ops-dingtalk',
        type: 'dingtalk',
        language: 'zh',
        filter: { min_severity: 'medium', techniques: ['T1059'] },
        dingtalk: { url: 'https://oapi.dingtalk.com/robot/send?access_token=0f6b2c8e4d1a', secret: 'SEC0123456789abcdef' },
      },
      revision: 2,
      created_at: at(now, -9 * day),
      created_by: 'admin',
      updated_at: at(now, -day),
      updated_by: 'token:e2e',
      stats: { sent: 7, failed: 0, retried: 0, dropped: 0, queued: 0, last_sent_at: at(now, -3 * hour) },
    },
    {
      source: 'api',
      config: { name: 'old-mail', type: 'email', email: { host: 'smtp.example.com', port: 587, security: 'starttls', username: 'vigil', from: 'vigil@example.com', to: ['soc@example.com'] } },
      problem: 'its secrets were sealed with another key (DATA/notify.key): copy the key file of the other center, or set the secrets again',
      revision: 1,
      created_at: at(now, -30 * day),
      created_by: 'admin',
      updated_at: at(now, -30 * day),
      updated_by: 'admin',
      stats: { ...zero },
    },
  ];
}
