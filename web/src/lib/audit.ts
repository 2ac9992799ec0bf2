// Audit log actions (docs/api.md), offered as filter suggestions: the
// filter is a prefix, so "agent." matches agent.delete and agent.labels.
export const auditActions = [
  'agent.',
  'agent.delete',
  'agent.labels',
  'agent.enroll',
  'command.',
  'alert.state',
  'policy.',
  'token.',
  'apitoken.',
  'user.',
  'login',
  'login.failed',
  'logout',
];

/** auditResultClass picks the badge colour of a result. */
export function auditResultClass(result: string): string {
  switch (result) {
    case 'ok':
      return 'status-online';
    case 'denied':
      return 'state-acknowledged';
    case 'error':
      return 'status-lost';
    default:
      return 'status-unknown';
  }
}
