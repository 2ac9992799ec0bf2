import { describe, expect, it } from 'vitest';
import type { JoinToken } from '../src/api/types';
import { adminEn } from '../src/i18n/adminMessages';
import { complianceEn } from '../src/i18n/complianceMessages';
import { fleetEn } from '../src/i18n/fleetMessages';
import { hostEn } from '../src/i18n/hostMessages';
import { intelEn } from '../src/i18n/intelMessages';
import { en } from '../src/i18n/messages';
import { riskEn } from '../src/i18n/riskMessages';
import { auditResultClass } from '../src/lib/audit';
import { installCommand, shellQuote } from '../src/lib/install';
import { tokenState } from '../src/lib/joinTokens';
import { hasRole, isRole } from '../src/lib/roles';
import { checkName, checkPassword } from '../src/lib/validate';

describe('roles', () => {
  it.each([
    ['admin', 'admin', true],
    ['admin', 'viewer', true],
    ['responder', 'analyst', true],
    ['analyst', 'responder', false],
    ['viewer', 'admin', false],
    ['', 'viewer', false],
    ['root', 'viewer', false],
    [undefined, 'viewer', false],
  ] as const)('%s has %s: %s', (role, need, want) => {
    expect(hasRole(role, need)).toBe(want);
  });

  it('tells roles from other text', () => {
    expect(isRole('analyst')).toBe(true);
    expect(isRole('toString')).toBe(false);
    expect(isRole(3)).toBe(false);
  });
});

describe('install command', () => {
  it('writes the agent command line', () => {
    expect(installCommand('https://center.example:8443', 'vgl1.abc.def.0123')).toBe(
      'vigil-agent --center https://center.example:8443 --token vgl1.abc.def.0123 --data /var/lib/vigil-agent',
    );
  });

  it.each([
    ['plain-word_1.2', 'plain-word_1.2'],
    ['', "''"],
    ['a b', "'a b'"],
    ["it's", "'it'\\''s'"],
    ['$(id)', "'$(id)'"],
  ])('quotes %j as %s', (s, want) => {
    expect(shellQuote(s)).toBe(want);
  });
});

describe('names and passwords', () => {
  it.each([
    ['ops-bot', true],
    ['a', true],
    ['alice@example.com', true],
    ['x'.repeat(64), true],
    ['x'.repeat(65), false],
    ['-lead', false],
    ['.hidden', false],
    ['has space', false],
    ['', false],
    ['名字', false],
  ])('name %j: %s', (name, ok) => {
    expect(checkName(name)).toBe(ok);
  });

  it('wants 10 to 1024 bytes of password', () => {
    expect(checkPassword('short')).toBe('short');
    expect(checkPassword('0123456789')).toBe('ok');
    expect(checkPassword('密码密码')).toBe('ok');
    expect(checkPassword('x'.repeat(1025))).toBe('long');
  });
});

describe('join token state', () => {
  const now = Date.parse('2025-01-01T12:00:00Z');
  const base: JoinToken = { id: 'j', labels: {}, created_at: '', created_by: '', expires_at: '2025-01-02T00:00:00Z', usage_limit: 0, uses: 5 };
  it.each([
    [{}, 'active'],
    [{ usage_limit: 5 }, 'usedUp'],
    [{ usage_limit: 6 }, 'active'],
    [{ expires_at: '2025-01-01T12:00:00Z' }, 'expired'],
    [{ expires_at: '2024-12-31T00:00:00Z', usage_limit: 5 }, 'expired'],
  ])('%j is %s', (over, want) => {
    expect(tokenState({ ...base, ...over }, now)).toBe(want);
  });
});

describe('audit', () => {
  it('colours results', () => {
    expect(auditResultClass('ok')).toBe('status-online');
    expect(auditResultClass('denied')).not.toBe(auditResultClass('error'));
    expect(auditResultClass('other')).toBe('status-unknown');
  });
});

describe('dictionary parts', () => {
  it('do not define the same key twice', () => {
    const parts: Record<string, string>[] = [fleetEn, adminEn, hostEn, riskEn, complianceEn, intelEn];
    const base = Object.keys(en).filter((k) => parts.every((p) => !(k in p)));
    const total = base.length + parts.reduce((n, p) => n + Object.keys(p).length, 0);
    expect(total).toBe(Object.keys(en).length);
    parts.forEach((p, i) => parts.slice(i + 1).forEach((q) => expect(Object.keys(p).filter((k) => k in q)).toEqual([])));
  });
});
