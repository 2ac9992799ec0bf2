// Fixture data for the fake API: a small fleet in every status and a few
// pages of events (the alerts are detection's, in fixtures-detect.mjs).
// Times are relative to the moment the fixtures are made.

const minute = 60_000;

/** @param {number} now @param {number} ms */
function ago(now, ms) {
  return new Date(now - ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** @param {number} now */
export function makeAgents(now) {
  const state = {
    plugins: [
      { name: 'os/dpkg', kind: 'collector', state: 'running', runs: 42, failures: 0, events: 0, last_run_unix: Math.floor((now - 5 * minute) / 1000) },
      { name: 'exec/proccon', kind: 'sensor', state: 'running', mechanism: 'proc-connector', events: 18234, dropped: 12, counters: { processes: '212', lost_records: '12' } },
      { name: 'exec/ebpf', kind: 'sensor', state: 'skipped', reason: 'kernel 5.4 lacks BTF (CONFIG_DEBUG_INFO_BTF)', mechanism: 'ebpf' },
      { name: 'os/users', kind: 'collector', state: 'failed', last_error: 'open /etc/shadow: permission denied', runs: 7, failures: 7 },
    ],
    stats: { cpu_percent: 1.8, rss_bytes: 44_040_192, spool_bytes: 1_048_576, spool_events: 210, spool_dropped_total: 0, events_sent_total: 18222, batches_sent_total: 940, throttled: false, reconnects_total: 1 },
    policy_revision: 3,
  };
  const base = (id, hostname, over) => ({
    id,
    hostname,
    status: 'online',
    status_reason: 'connected',
    status_changed_at: ago(now, 3 * 3600_000),
    last_seen: ago(now, 2000),
    enrolled_at: ago(now, 20 * 86_400_000),
    labels: { env: 'prod' },
    os: 'linux',
    platform: 'ubuntu',
    platform_version: '22.04',
    kernel: '5.15.0-105-generic',
    arch: 'amd64',
    ips: ['10.0.1.11'],
    boot_time: ago(now, 40 * 86_400_000),
    agent_version: '0.3.0',
    machine_id: `${id.replace(/-/g, '')}00000000`,
    user_key: 'UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4',
    ...over,
  });
  return [
    base('7f1c2a9e-0001', 'web-01', { labels: { env: 'prod', role: 'web' }, last_state: state }),
    base('7f1c2a9e-0002', 'web-02', { labels: { env: 'prod', role: 'web' }, ips: ['10.0.1.12', 'fd00::12'], last_state: JSON.stringify(state) }),
    base('7f1c2a9e-0003', 'db-01', {
      status: 'lost',
      status_reason: 'no heartbeat for 90s',
      status_changed_at: ago(now, 12 * minute),
      last_seen: ago(now, 14 * minute),
      labels: { env: 'prod', role: 'db' },
      platform: 'debian',
      platform_version: '12.8',
      kernel: '6.1.0-28-amd64',
      ips: ['10.0.2.20'],
    }),
    base('7f1c2a9e-0004', 'build-02', {
      status: 'stopped',
      status_reason: 'SIGTERM by pid 812 (systemctl stop vigil-agent)',
      status_changed_at: ago(now, 2 * 3600_000),
      last_seen: ago(now, 2 * 3600_000),
      labels: { env: 'ci' },
      platform: 'rocky',
      platform_version: '9.4',
      kernel: '5.14.0-427.el9.x86_64',
      ips: ['10.0.3.5'],
    }),
    base('7f1c2a9e-0005', 'old-ws', {
      status: 'uninstalled',
      status_reason: 'vigil-agent uninstall by root',
      status_changed_at: ago(now, 3 * 86_400_000),
      last_seen: ago(now, 3 * 86_400_000),
      labels: {},
      ips: [],
      agent_version: '0.2.1',
    }),
  ];
}

/** @param {number} now */
export function makeHistory(now) {
  return [
    { agent_id: '', at: ago(now, 12 * minute), from: 'online', to: 'lost', reason: 'no heartbeat for 90s' },
    { agent_id: '', at: ago(now, 5 * 86_400_000), from: 'stopped', to: 'online', reason: 'connected' },
    { agent_id: '', at: ago(now, 5 * 86_400_000 + 10 * minute), from: 'online', to: 'stopped', reason: 'SIGTERM by pid 1 (systemd)' },
    { agent_id: '', at: ago(now, 20 * 86_400_000), from: '', to: 'online', reason: 'enrolled' },
  ];
}

const kinds = [
  { category: 'process', action: 'exec', fill: (i) => ({ process: { executable: '/usr/bin/sh', command_line: `sh -c 'id; uname -a' #${i}`, pid: 4000 + i } }) },
  { category: 'network', action: 'connect', fill: (i) => ({ source: { ip: '10.0.1.11' }, destination: { ip: '203.0.113.9', port: 443 + (i % 3) } }) },
  { category: 'file', action: 'modify', fill: (i) => ({ file: { path: `/etc/cron.d/job${i}` } }) },
  { category: 'authentication', action: 'ssh_login', fill: (i) => ({ user: { name: i % 2 ? 'root' : 'deploy' }, event: { outcome: i % 4 ? 'success' : 'failure' }, source: { ip: '198.51.100.7' } }) },
];

/** makeEvents returns n events, newest first. @param {number} now @param {number} n */
export function makeEvents(now, n) {
  const hosts = [
    ['7f1c2a9e-0001', 'web-01'],
    ['7f1c2a9e-0002', 'web-02'],
    ['7f1c2a9e-0003', 'db-01'],
  ];
  const out = [];
  for (let i = 0; i < n; i++) {
    const k = kinds[i % kinds.length];
    const [agentId, host] = hosts[i % hosts.length];
    const extra = k.fill(i);
    out.push({
      '@timestamp': new Date(now - i * 37_000).toISOString(),
      ...extra,
      event: { id: `ev-${String(i).padStart(4, '0')}`, category: k.category, action: k.action, kind: 'event', ...(extra.event ?? {}) },
      agent: { id: agentId, version: '0.3.0' },
      host: { name: host },
    });
  }
  return out;
}
