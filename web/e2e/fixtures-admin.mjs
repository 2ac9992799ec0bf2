// Fixture data for the administration routes of the fake API: join tokens,
// users, API tokens and sessions, agent policies and an audit log long
// enough to page through. Times are relative to the moment they are made.

const minute = 60_000;
const hour = 3_600_000;
const day = 86_400_000;

/** @param {number} now @param {number} ms */
function at(now, ms) {
  return new Date(now + ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** @param {number} now */
export function makeJoinTokens(now) {
  return [
    { id: 'jt0001', description: 'web servers', labels: { env: 'prod', role: 'web' }, created_at: at(now, -2 * day), created_by: 'admin', expires_at: at(now, 5 * day), usage_limit: 10, uses: 2 },
    { id: 'jt0002', description: 'CI runners', labels: { env: 'ci' }, created_at: at(now, -40 * day), created_by: 'token:deploy', expires_at: at(now, -10 * day), usage_limit: 0, uses: 7 },
    { id: 'jt0003', description: 'one database', labels: {}, created_at: at(now, -3 * hour), created_by: 'admin', expires_at: at(now, 21 * hour), usage_limit: 1, uses: 1 },
  ];
}

/** @param {number} now */
export function makeUsers(now) {
  return [
    { id: 'u1', name: 'admin', role: 'admin', disabled: false, created_at: at(now, -60 * day), updated_at: at(now, -60 * day) },
    { id: 'u2', name: 'alice', role: 'analyst', disabled: false, created_at: at(now, -30 * day), updated_at: at(now, -3 * day) },
    { id: 'u3', name: 'bob', role: 'responder', disabled: true, created_at: at(now, -20 * day), updated_at: at(now, -1 * day) },
  ];
}

/** @param {number} now */
export function makeApiTokens(now) {
  return [
    { id: 'fixtureadmin', name: 'e2e', kind: 'api', role: 'admin', created_at: at(now, -10 * day), last_used_at: at(now, -minute) },
    { id: 'fixtureviewer', name: 'dashboards', kind: 'api', role: 'viewer', created_at: at(now, -9 * day), expires_at: at(now, 80 * day), last_used_at: at(now, -2 * hour) },
    { id: 'sess0002', name: '', kind: 'session', user_id: 'u2', role: 'analyst', created_at: at(now, -hour), expires_at: at(now, 11 * hour), last_used_at: at(now, -5 * minute) },
  ];
}

/** @param {number} now */
export function makePolicies(now) {
  return [
    {
      name: 'baseline',
      selector: {},
      priority: 0,
      spec: { collectors: { 'host/facts': { enabled: true, intervalSeconds: 3600 } }, budget: { cpuPercent: 5, memoryMb: 256 } },
      revision: 3,
      updated_at: at(now, -5 * day),
      updated_by: 'admin',
    },
    {
      name: 'web',
      selector: { role: 'web' },
      priority: 10,
      spec: { budget: { cpuPercent: 2 }, heartbeatIntervalSeconds: 10 },
      revision: 1,
      updated_at: at(now, -day),
      updated_by: 'alice',
    },
  ];
}

const history = [
  ['admin', 'admin', 'login', '', 'ok', {}],
  ['token:e2e', 'admin', 'token.create', 'jt0001', 'ok', { ttl: '168h0m0s', labels: { env: 'prod', role: 'web' }, usage_limit: 10 }],
  ['join-token:jt0001', '', 'agent.enroll', '7f1c2a9e-0001', 'ok', { hostname: 'web-01' }],
  ['alice', 'analyst', 'command.ping', 'agents=7f1c2a9e-0001', 'ok', { agents: 1, ok: 1, failed: 0, timeout: '10s' }],
  ['alice', 'analyst', 'alert.state', 'al-0002', 'ok', { state: 'acknowledged' }],
  ['bob', 'viewer', 'user.list', '', 'denied', { status: 403 }],
  ['admin', 'admin', 'policy.put', 'baseline', 'ok', { revision: 3, priority: 0, selector: {} }],
];

/** makeAudit returns n entries, newest first, with ids counting down. @param {number} now @param {number} n */
export function makeAudit(now, n) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const [actor, role, action, target, result, detail] = history[i % history.length];
    out.push({ id: n - i, at: at(now, -(i + 1) * 11 * minute), actor, role, action, target, result, detail, source_ip: i % 3 ? '10.0.0.5' : '192.0.2.10' });
  }
  return out;
}
