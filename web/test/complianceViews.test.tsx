// Compliance components rendered to HTML (no browser): results with their
// statuses, severities and titles in the user's language, the evidence
// (file and line, command output, an error, lines cut by the agent and
// long lists shown in part), an exception, a check's texts and
// references, scores and counts, and the trend chart, in English and
// Chinese.
import { describe, expect, it } from 'vitest';
import type { CheckInfo, ComplianceResult } from '../src/api/types';
import { ResultsTable } from '../src/pages/AgentComplianceTab';
import { CheckSeverityBadge, CheckTexts, ComplianceStatusBadge, CountsLine, EvidenceView, evidenceLinesShown, ExceptionNote, References, Score, TrendChart } from '../src/pages/ComplianceViews';
import { html, inLanguage, rows, setLang, text } from './render';

inLanguage();

const rootLogin: CheckInfo = {
  title: { en: 'Ensure sshd PermitRootLogin is disabled', zh: '确保 sshd 禁止 root 直接登录' },
  rationale: { en: 'Root logins cannot be traced to a person.', zh: 'root 直接登录无法追溯到具体的人。' },
  remediation: { en: 'Set PermitRootLogin no in /etc/ssh/sshd_config:\n  systemctl reload ssh', zh: '在 /etc/ssh/sshd_config 中设置 PermitRootLogin no：\n  systemctl reload ssh' },
  severity: 'high',
  profiles: ['level1_server'],
  references: { cis: ['5.1.20'], mlps: ['8.1.4.2 d)'] },
};

const failing: ComplianceResult = {
  agent_id: '7f1c2a9e-0002',
  hostname: 'web-02',
  policy_id: 'cis_debian12',
  policy_version: '1.1.0',
  check_id: 'cis_debian12.5.1.20',
  status: 'fail',
  severity: 'high',
  evidence: [{ index: 0, type: 'config', result: 'fails', evidence: ['/etc/ssh/sshd_config:33: PermitRootLogin yes'] }],
  check: rootLogin,
  first_seen: '2026-02-01T00:00:00Z',
  updated_at: '2026-03-08T00:00:00Z',
};

describe('results', () => {
  it('show status, severity, title and policy; Wazuh checks without severity say so', () => {
    const sca: ComplianceResult = { ...failing, check_id: 'acme_sca.2001', status: 'excepted', severity: '', check: { ...rootLogin, severity: '', title: { en: 'Ensure auditd is installed', zh: 'Ensure auditd is installed' } } };
    const out = html(<ResultsTable items={[failing, sca]} canExcept onExcept={() => undefined} policyName={(id) => (id === 'cis_debian12' ? 'CIS Debian 12' : id)} />);
    const r = rows(out);
    expect(r[0]).toMatch(/^▸ Failed High Ensure sshd PermitRootLogin is disabled cis_debian12\.5\.1\.20 CIS Debian 12 \d+ (d|h|min|s) ago$/);
    expect(r[1]).toMatch(/^▸ Excepted No severity Ensure auditd is installed acme_sca\.2001 CIS Debian 12 \d+ (d|h|min|s) ago$/);
    expect(out).toContain('data-status="fail"');
    expect(out).toContain('data-check-id="cis_debian12.5.1.20"');
  });

  it('show the title in Chinese', () => {
    setLang('zh');
    const out = html(<ResultsTable items={[failing]} canExcept={false} onExcept={() => undefined} policyName={() => 'CIS Debian 12 安全基线'} />);
    expect(text(out)).toContain('状态 严重程度 检查项 策略 变化时间');
    expect(rows(out)[0]).toContain('未通过 高 确保 sshd 禁止 root 直接登录 cis_debian12.5.1.20 CIS Debian 12 安全基线');
  });

  it('name statuses and severities', () => {
    expect(text(html(<ComplianceStatusBadge status="not_applicable" />))).toBe('Not applicable');
    expect(text(html(<ComplianceStatusBadge status="weird" />))).toBe('weird');
    expect(html(<CheckSeverityBadge severity="critical" />)).toContain('sev-critical');
    setLang('zh');
    expect(text(html(<ComplianceStatusBadge status="excepted" />))).toBe('已豁免');
    expect(text(html(<CheckSeverityBadge severity="" />))).toBe('无等级');
  });
});

describe('evidence', () => {
  it('shows each rule with its result, file and line, and a command as a command', () => {
    const out = html(
      <EvidenceView
        evidence={[
          { index: 0, type: 'package', result: 'holds', applies_if: true, evidence: ['openssh-server 1:9.2p1-2+deb12u3: installed'] },
          { index: 0, type: 'config', result: 'fails', evidence: ['/etc/ssh/sshd_config:33: PermitRootLogin yes'] },
          { index: 1, type: 'command', result: 'holds', not: true, evidence: ['sshd -T:2: permitrootlogin no'] },
          { index: 2, type: 'command', result: 'error', error: 'systemctl is-active auditd: signal: killed' },
        ]}
      />,
    );
    expect(text(out)).toBe(
      'holds package applies if openssh-server 1:9.2p1-2+deb12u3: installed ' +
        'fails config /etc/ssh/sshd_config line 33 PermitRootLogin yes ' +
        'holds command inverted $ sshd -T line 2 permitrootlogin no ' +
        'error command systemctl is-active auditd: signal: killed',
    );
    expect(out).toContain('data-result="fails"');
    expect(out).toContain('class="ev-source mono ev-command"');
  });

  it('shows the first lines of a long list and says how many more, cuts long lines, and says what the agent cut', () => {
    const lines = Array.from({ length: 10 }, (_, i) => `user${i}: pass_max_days 99999`);
    const long = 'x'.repeat(500);
    const out = html(<EvidenceView evidence={[{ index: 0, type: 'account', result: 'fails', evidence: [...lines, '... 3 more lines cut'] }, { index: 1, type: 'content', result: 'fails', evidence: [`/etc/motd:1: ${long}`] }]} />);
    const t = text(out);
    expect(t).toContain(`user${evidenceLinesShown - 1}: pass_max_days 99999`);
    expect(t).not.toContain(`user${evidenceLinesShown}:`);
    expect(t).toContain(`Show ${11 - evidenceLinesShown} more lines`);
    expect(t).toContain(`${'x'.repeat(239)}…`);
    expect(out).toContain(`title="/etc/motd:1: ${long}"`);
    const all = html(<EvidenceView evidence={[{ index: 0, type: 'account', result: 'fails', evidence: ['a', '... 3 more lines cut'] }]} />);
    expect(text(all)).toContain('The agent cut the evidence: ... 3 more lines cut');
  });

  it('says when there is none, in Chinese too', () => {
    expect(text(html(<EvidenceView evidence={null} />))).toBe('The agent sent no evidence for this result.');
    setLang('zh');
    expect(text(html(<EvidenceView evidence={[{ index: 0, type: 'config', result: 'fails', evidence: ['/etc/login.defs:165: PASS_MAX_DAYS 99999'] }]} />))).toBe('不满足 config /etc/login.defs 第 165 行 PASS_MAX_DAYS 99999');
  });
});

describe('exceptions, texts and references', () => {
  const e = { id: 'x1', policy_id: 'cis', check_id: '', agent_id: 'a1', reason: 'vendor firmware tool needs cramfs', author: 'alice', created_at: '2026-03-01T08:00:00Z' };
  it('say why a failure is accepted, for how long and how wide', () => {
    expect(text(html(<ExceptionNote e={e} />))).toMatch(/^Excepted vendor firmware tool needs cramfs alice · 2026-03-01 \d\d:00:00 · never expires · every check of the policy$/);
    setLang('zh');
    expect(text(html(<ExceptionNote e={{ ...e, check_id: 'c', agent_id: '' }} />))).toMatch(/^已豁免 vendor firmware tool needs cramfs alice · 2026-03-01 \d\d:00:00 · 永不过期 · 所有主机$/);
  });

  it('give the rationale and remediation in the language, and references by framework', () => {
    expect(text(html(<CheckTexts check={rootLogin} />))).toBe('Rationale Root logins cannot be traced to a person. Remediation Set PermitRootLogin no in /etc/ssh/sshd_config: systemctl reload ssh');
    expect(text(html(<References refs={{ mlps: ['8.1.4.2 d)'], cis: ['5.1.20'], url: ['https://www.cisecurity.org/x'] }} />))).toBe('CIS 5.1.20 GB/T 22239 8.1.4.2 d) Links https://www.cisecurity.org/x');
    expect(html(<References refs={{ url: ['https://www.cisecurity.org/x'] }} />)).toContain('href="https://www.cisecurity.org/x"');
    expect(html(<References refs={{ url: ['https://www.cisecurity.org/x'] }} compact />)).not.toContain('href');
    setLang('zh');
    expect(text(html(<CheckTexts check={rootLogin} />))).toContain('加固建议 在 /etc/ssh/sshd_config 中设置 PermitRootLogin no');
    expect(text(html(<References refs={rootLogin.references} />))).toBe('CIS 基准 5.1.20 等保 GB/T 22239 8.1.4.2 d)');
  });
});

describe('scores and the trend', () => {
  it('colour a score by its tone and count by status', () => {
    expect(html(<Score score={66.6667} />)).toContain('class="score score-poor" data-score="66.7"');
    expect(text(html(<Score score={null} />))).toBe('—');
    const c = { pass: 10, fail: 2, error: 0, excepted: 1, not_applicable: 0, total: 13 };
    expect(text(html(<CountsLine counts={c} />))).toBe('10 passed 2 failed 1 excepted');
    setLang('zh');
    expect(text(html(<CountsLine counts={c} />))).toBe('通过 10 未通过 2 豁免 1');
  });

  it('draws a dot per day with a score and says the last one', () => {
    const points = [
      { day: '2026-03-01', hosts: 3, passed: 20, failed: 10, score: 66.666 },
      { day: '2026-03-02', hosts: 0, passed: 0, failed: 0, score: null },
      { day: '2026-03-03', hosts: 3, passed: 28, failed: 9, score: 75.675 },
    ];
    const out = html(<TrendChart points={points} testId="t" />);
    expect(out).toContain('data-points="2"');
    expect(out).toContain('data-last="75.7"');
    expect(out).toContain('<title>2026-03-03: 75.7% on 3 hosts, 9 failed checks</title>');
    expect(out).toContain('aria-label="Fleet score from 2026-03-01 to 2026-03-03, now 75.7%"');
    expect((out.match(/<circle/g) ?? []).length).toBe(2);
    expect(text(html(<TrendChart points={[points[1]!]} />))).toBe('No score recorded in this period.');
  });
});
