// The sidebar's entries: everyone's pages, detection, risk, then the
// administration pages that only admins see.
import type { ReactNode } from 'react';
import type { Role } from '../api/types';
import type { MessageKey } from '../i18n';

export interface NavEntry {
  to: string;
  key: MessageKey;
  icon: ReactNode;
  /** The least role that sees the entry. */
  role?: Role;
  /** Other paths under which the entry is the current one. */
  also?: string[];
}

const icon = (...paths: ReactNode[]) => (
  <svg viewBox="0 0 24 24" aria-hidden="true">
    {paths}
  </svg>
);

export const mainNav: NavEntry[] = [
  {
    to: '/agents',
    key: 'nav.agents',
    icon: icon(
      <rect key="a" x="3" y="4" width="18" height="6" rx="1.5" />,
      <rect key="b" x="3" y="14" width="18" height="6" rx="1.5" />,
      <circle key="c" cx="7" cy="7" r="1" />,
      <circle key="d" cx="7" cy="17" r="1" />,
    ),
  },
  {
    to: '/inventory',
    key: 'nav.inventory',
    icon: icon(
      <path key="a" d="M12 3 3.5 7.5 12 12l8.5-4.5L12 3z" />,
      <path key="b" d="M3.5 7.5v9L12 21l8.5-4.5v-9" />,
      <path key="c" d="M12 12v9" />,
    ),
  },
  {
    to: '/incidents',
    key: 'nav.incidents',
    icon: icon(<rect key="a" x="3.5" y="4.5" width="17" height="15" rx="1.5" />, <path key="b" d="M7 9h10M7 12.5h6M7 16h8" />, <circle key="c" cx="18" cy="6" r="2.5" />),
  },
  {
    to: '/alerts',
    key: 'nav.alerts',
    icon: icon(<path key="a" d="M12 3 2.5 20h19L12 3z" />, <path key="b" d="M12 10v4.5M12 17.2v.3" />),
  },
  { to: '/events', key: 'nav.events', icon: icon(<path key="a" d="M3 12h4l2.5-6 5 12 2.5-6h4" />) },
  {
    to: '/policies',
    key: 'nav.policies',
    icon: icon(<path key="a" d="M4 6h10M18 6h2M4 12h4M12 12h8M4 18h12M20 18h0" />, <circle key="b" cx="16" cy="6" r="2" />, <circle key="c" cx="10" cy="12" r="2" />, <circle key="d" cx="18" cy="18" r="2" />),
  },
];

/** Detection: its rules, their exceptions, what they cover, threat intelligence and login baselines. */
export const detectNav: NavEntry[] = [
  {
    to: '/rules',
    key: 'nav.rules',
    also: ['/rule-files'],
    icon: icon(<path key="a" d="M6 3.5h9l4 4V20.5H6z" />, <path key="b" d="M15 3.5v4h4M9 12h7M9 15.5h7" />),
  },
  {
    to: '/exceptions',
    key: 'nav.exceptions',
    icon: icon(<circle key="a" cx="12" cy="12" r="8.5" />, <path key="b" d="M6 18 18 6" />),
  },
  {
    to: '/attack',
    key: 'nav.attack',
    icon: icon(<rect key="a" x="3" y="4" width="5" height="16" rx="1" />, <rect key="b" x="9.5" y="4" width="5" height="11" rx="1" />, <rect key="c" x="16" y="4" width="5" height="7" rx="1" />),
  },
  {
    to: '/intel',
    key: 'nav.intel',
    icon: icon(<circle key="a" cx="12" cy="12" r="8.5" />, <circle key="b" cx="12" cy="12" r="4.5" />, <path key="c" d="M12 1.5v5M12 17.5v5M1.5 12h5M17.5 12h5" />),
  },
  {
    to: '/baselines/logins',
    key: 'nav.loginBaselines',
    icon: icon(<path key="a" d="M10 4.5H5.5v15H10" />, <path key="b" d="M9.5 12H20M16.5 8.5 20 12l-3.5 3.5" />, <path key="c" d="M3 21.5h18" />),
  },
];

/** Risk: the fleet's vulnerabilities, their patches, weak passwords, compliance baselines and the vulnerability database. */
export const riskNav: NavEntry[] = [
  {
    to: '/risk',
    key: 'nav.risk',
    icon: icon(<path key="a" d="M12 3 4 6.5v5.5c0 4.6 3.3 8.4 8 9.5 4.7-1.1 8-4.9 8-9.5V6.5L12 3z" />, <path key="b" d="M12 8v5M12 16v.3" />),
  },
  {
    to: '/vulns',
    key: 'nav.vulns',
    icon: icon(<circle key="a" cx="12" cy="13" r="6" />, <path key="b" d="M12 7V4M9 5l1.5 2M15 5l-1.5 2M6 13H3M21 13h-3M7 18l-2 2M17 18l2 2M12 10v6" />),
  },
  {
    to: '/patches',
    key: 'nav.patches',
    icon: icon(<rect key="a" x="3" y="8.5" width="18" height="7" rx="3.5" transform="rotate(-45 12 12)" />, <path key="b" d="M10.5 10.5h.01M13.5 13.5h.01M10.5 13.5h.01M13.5 10.5h.01" />),
  },
  {
    to: '/weak-passwords',
    key: 'nav.weak',
    icon: icon(<rect key="a" x="4.5" y="10.5" width="15" height="10" rx="1.5" />, <path key="b" d="M8 10.5V7.5a4 4 0 0 1 8 0v3M12 14.5v2.5" />),
  },
  {
    to: '/compliance',
    key: 'nav.compliance',
    icon: icon(<rect key="a" x="5" y="3.5" width="14" height="17" rx="1.5" />, <path key="b" d="m8.5 9 1.5 1.5L13 7.5M8.5 15l1.5 1.5 3-3" />, <path key="c" d="M15 10h1.5M15 16h1.5" />),
  },
  {
    to: '/vulndb',
    key: 'nav.vulndb',
    icon: icon(<ellipse key="a" cx="12" cy="6" rx="7.5" ry="2.5" />, <path key="b" d="M4.5 6v12c0 1.4 3.4 2.5 7.5 2.5s7.5-1.1 7.5-2.5V6M4.5 12c0 1.4 3.4 2.5 7.5 2.5s7.5-1.1 7.5-2.5" />),
  },
];

/** Administration: most entries are for admins; the notification channels are read by every role. */
export const adminNav: NavEntry[] = [
  {
    to: '/notify-channels',
    key: 'nav.notifyChannels',
    role: 'viewer',
    icon: icon(<path key="a" d="M6 16.5V11a6 6 0 0 1 12 0v5.5l1.5 2h-15l1.5-2z" />, <path key="b" d="M10 20.5a2 2 0 0 0 4 0" />),
  },
  {
    to: '/join-tokens',
    key: 'nav.joinTokens',
    role: 'admin',
    icon: icon(<path key="a" d="M12 4v9M8.5 9.5 12 13l3.5-3.5" />, <rect key="b" x="3" y="15" width="18" height="5" rx="1.5" />),
  },
  {
    to: '/users',
    key: 'nav.users',
    role: 'admin',
    icon: icon(<circle key="a" cx="9" cy="8" r="3.5" />, <path key="b" d="M2.5 20c.8-3.6 3.4-5.5 6.5-5.5s5.7 1.9 6.5 5.5" />, <path key="c" d="M16 4.8a3.3 3.3 0 0 1 0 6.4M18 14.8c1.8.7 3 2.4 3.5 5.2" />),
  },
  {
    to: '/api-tokens',
    key: 'nav.apiTokens',
    role: 'admin',
    icon: icon(<circle key="a" cx="8" cy="12" r="4" />, <path key="b" d="M12 12h9M18 12v3.5M21 12v2.5" />),
  },
  {
    to: '/audit',
    key: 'nav.audit',
    role: 'admin',
    icon: icon(<rect key="a" x="5" y="3.5" width="14" height="17" rx="1.5" />, <path key="b" d="M8.5 8h7M8.5 12h7M8.5 16h4" />),
  },
];
