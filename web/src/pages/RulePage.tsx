// One rule: what it is (level, status, kind, source file and line, log
// source, techniques, tags), its false positives and references, the YAML
// file it is in, and the operator's setting (responder): switched off or
// on, its alerts' severity chosen, or back to its defaults. Links lead to
// its alerts and exceptions, and an exception can be made for it.
import { useEffect, useRef, useState } from 'react';
import { ApiError } from '../api/client';
import { deleteRuleSetting, getRule, putRuleSetting, ruleSource } from '../api/detect';
import { severities, type Rule, type Severity } from '../api/types';
import { LevelBadge, SeverityBadge } from '../components/badges';
import { Facts, Section } from '../components/Drawer';
import { Empty, ErrorBanner, Loading } from '../components/feedback';
import { TechniqueList } from '../components/Techniques';
import { AbsTime } from '../components/time';
import { useI18n, type MessageKey } from '../i18n';
import { useLoad } from '../lib/hooks';
import { Link, navigate } from '../router';
import { allows, useSession } from '../session';
import { ExceptionDialog } from './ExceptionDialog';
import { ruleWord } from './ruleWords';

/** paragraphs reflows a YAML block of text: lines joined, blank lines kept as paragraph breaks. */
export function paragraphs(text: string): string[] {
  return text
    .split(/\n\s*\n/)
    .map((p) => p.replace(/\s*\n\s*/g, ' ').trim())
    .filter(Boolean);
}

/** levelSeverity is the severity a level gives: informational and low are low. */
export function levelSeverity(level: string): Severity {
  return level === 'critical' || level === 'high' || level === 'medium' ? level : 'low';
}

export function RulePage({ id }: { id: string }) {
  const { t } = useI18n();
  const loaded = useLoad((signal) => getRule(id, signal), [id]);
  const source = useLoad((signal) => ruleSource(id, signal), [id]);
  const [changed, setChanged] = useState<Rule | null>(null);
  const [excepting, setExcepting] = useState(false);
  const session = useSession();
  const rule = changed && changed.id === id ? changed : loaded.data;
  const notFound = loaded.error instanceof ApiError && loaded.error.status === 404;

  return (
    <div className="page rule-page" data-testid="rule-page">
      <div className="crumbs">
        <Link to="/rules">← {t('nav.rules')}</Link>
      </div>
      {notFound ? (
        <Empty>{t('rule.notFound', { id })}</Empty>
      ) : (
        <ErrorBanner error={loaded.error} onRetry={loaded.refresh} />
      )}
      {!rule && !loaded.error && <Loading />}
      {rule && (
        <>
          <div className="panel rule-head">
            <div className="incident-title">
              <h2>{rule.title}</h2>
              <span className="drawer-status">
                <LevelBadge level={rule.level} />
                {rule.disabled ? <span className="badge rule-off" data-testid="rule-state">{t('rules.disabled')}</span> : <span className="badge status-online" data-testid="rule-state">{t('rules.enabled')}</span>}
                <span className="muted mono small"> {rule.id}</span>
              </span>
            </div>
            {rule.description && (
              <div className="description">
                {paragraphs(rule.description).map((p, i) => (
                  <p key={i}>{p}</p>
                ))}
              </div>
            )}
            <div className="btn-row">
              <Link to={`/alerts?rule_id=${encodeURIComponent(rule.id)}`}>{t('rule.alertsLink')}</Link>
              <Link to={`/exceptions?rule_id=${encodeURIComponent(rule.id)}`}>{t('rule.exceptionsLink')}</Link>
              <button
                type="button"
                className="btn btn-small"
                disabled={!allows(session, 'analyst')}
                title={allows(session, 'analyst') ? '' : t('error.needAnalyst')}
                onClick={() => setExcepting(true)}
                data-testid="rule-new-exception"
              >
                {t('exceptions.new')}
              </button>
            </div>
          </div>
          <div className="rule-grid">
            <div className="panel">
              <Section title={t('rule.about')}>
                <Facts
                  rows={[
                    [t('rule.kind'), ruleWord(t, 'kind', rule.kind)],
                    [t('rule.status'), ruleWord(t, 'status', rule.status)],
                    [t('rule.author'), rule.author],
                    [t('rule.source'), ruleWord(t, 'source', rule.source)],
                    [t('rule.file'), <span className="mono small">{`${rule.file}:${rule.line}`}</span>],
                    [t('rule.logsource'), [rule.logsource.product, rule.logsource.category, rule.logsource.service].filter(Boolean).join(' / ')],
                    [t('alerts.col.techniques'), <TechniqueList ids={rule.techniques} names testId="rule-techniques" />],
                    [
                      t('rule.tags'),
                      (rule.tags ?? []).length === 0 ? (
                        ''
                      ) : (
                        <span className="chips">
                          {(rule.tags ?? []).map((g) => (
                            <span key={g} className="tag mono">
                              {g}
                            </span>
                          ))}
                        </span>
                      ),
                    ],
                    [t('rule.raises'), rule.alerts ? t('rule.raisesAlerts') : t('rule.raisesNothing')],
                    [t('rule.correlated'), rule.correlated ? t('common.yes') : t('common.no')],
                  ]}
                />
              </Section>
            </div>
            <RuleSetting rule={rule} onChanged={setChanged} />
          </div>
          <div className="panel">
            <Section title={t('rule.falsePositives')}>
              {(rule.falsepositives ?? []).length === 0 ? (
                <Empty>{t('rule.noFalsePositives')}</Empty>
              ) : (
                <ul className="plain-list" data-testid="rule-falsepositives">
                  {(rule.falsepositives ?? []).map((f, i) => (
                    <li key={i}>{f}</li>
                  ))}
                </ul>
              )}
            </Section>
            <Section title={t('rule.references')}>
              {(rule.references ?? []).length === 0 ? (
                <Empty>{t('rule.noReferences')}</Empty>
              ) : (
                <ul className="plain-list" data-testid="rule-references">
                  {(rule.references ?? []).map((r) => (
                    <li key={r}>
                      {/^https?:\/\//.test(r) ? (
                        <a href={r} target="_blank" rel="noreferrer noopener" className="mono small">
                          {r}
                        </a>
                      ) : (
                        <span className="mono small">{r}</span>
                      )}
                    </li>
                  ))}
                </ul>
              )}
            </Section>
          </div>
          <div className="panel">
            <Section title={t('rule.yaml', { file: rule.file })}>
              <ErrorBanner error={source.error} onRetry={source.refresh} />
              {source.data === undefined && !source.error && <Loading />}
              {source.data !== undefined && <YamlSource text={source.data} line={rule.line} />}
            </Section>
          </div>
        </>
      )}
      {excepting && rule && (
        <ExceptionDialog
          initial={{ ruleId: rule.id, agentId: '', rows: [], reason: '', expiresAt: '' }}
          onClose={() => setExcepting(false)}
          onSaved={(e) => {
            setExcepting(false);
            navigate(`/exceptions?created=${encodeURIComponent(e.id)}`);
          }}
        />
      )}
    </div>
  );
}

/** RuleSetting switches the rule off or on, chooses its severity or resets both (responder). */
function RuleSetting({ rule, onChanged }: { rule: Rule; onChanged: (r: Rule) => void }) {
  const { t } = useI18n();
  const session = useSession();
  const canChange = allows(session, 'responder');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const chosen = rule.setting?.severity || '';
  const run = async (fn: () => Promise<Rule | void>) => {
    setBusy(true);
    setError(null);
    try {
      const r = await fn();
      onChanged(r ?? (await getRule(rule.id)));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const put = (disabled: boolean, severity: Severity | '') => run(() => putRuleSetting(rule.id, { disabled, severity }));
  return (
    <div className="panel" data-testid="rule-setting">
      <Section title={t('rule.setting')}>
        {!canChange && <div className="info-banner">{t('rule.readOnly')}</div>}
        <ErrorBanner error={error} />
        <div className="form">
          <div className="form-field">
            <span>{t('rules.col.state')}</span>
            <div className="btn-row">
              <button
                type="button"
                className={`btn btn-small ${rule.disabled ? 'btn-primary' : 'btn-danger-ghost'}`}
                disabled={!canChange || busy}
                title={canChange ? '' : t('error.needResponder')}
                onClick={() => void put(!rule.disabled, chosen)}
                data-action={rule.disabled ? 'enable' : 'disable'}
              >
                {rule.disabled ? t('rule.enable') : t('rule.disable')}
              </button>
            </div>
            <small className="hint">{rule.disabled ? t('rule.disabledHint') : t('rule.enabledHint')}</small>
          </div>
          <label>
            <span>{t('rule.severityOverride')}</span>
            <select name="severity" className="w-filter" value={chosen} disabled={!canChange || busy} onChange={(e) => void put(rule.disabled, e.target.value as Severity | '')}>
              <option value="">{t('rule.severityFromLevel', { severity: t(`severity.${levelSeverity(rule.level)}` as MessageKey) })}</option>
              {severities.map((s) => (
                <option key={s} value={s}>
                  {t(`severity.${s}` as MessageKey)}
                </option>
              ))}
            </select>
            <small className="hint">
              {t('rule.severityNow')} <SeverityBadge severity={rule.severity} />
            </small>
          </label>
        </div>
        {rule.setting ? (
          <div className="setting-note" data-testid="setting-note">
            <span className="muted">
              {t('rule.settingBy', { author: rule.setting.author || '—' })} <AbsTime value={rule.setting.updated_at} />
            </span>
            {canChange && (
              <button type="button" className="btn btn-small btn-ghost" disabled={busy} onClick={() => void run(async () => deleteRuleSetting(rule.id))} data-action="reset">
                {t('rule.reset')}
              </button>
            )}
          </div>
        ) : (
          <p className="hint">{t('rule.defaults')}</p>
        )}
      </Section>
    </div>
  );
}

/** YamlSource shows the rule's file with line numbers, the rule's first line marked and scrolled to. */
function YamlSource({ text, line }: { text: string; line: number }) {
  const { t } = useI18n();
  const ref = useRef<HTMLDivElement>(null);
  const [copied, setCopied] = useState(false);
  const lines = text.replace(/\n$/, '').split('\n');
  useEffect(() => {
    if (line > 1) ref.current?.querySelector('.yaml-mark')?.scrollIntoView({ block: 'nearest' });
  }, [line, text]);
  const copy = () => {
    void navigator.clipboard?.writeText(text).then(() => {
      setCopied(true);
      setTimeout(() => setCopied(false), 1500);
    });
  };
  return (
    <div className="json yaml" ref={ref}>
      <div className="json-bar">
        <span>YAML</span>
        <button type="button" className="btn btn-ghost btn-small" onClick={copy}>
          {copied ? t('action.copied') : t('action.copy')}
        </button>
      </div>
      <pre className="json-body yaml-body" data-testid="rule-source">
        {lines.map((l, i) => (
          <div key={i} className={i + 1 === line ? 'yaml-line yaml-mark' : 'yaml-line'}>
            <span className="yaml-no">{i + 1}</span>
            <span className="yaml-text">{l || ' '}</span>
          </div>
        ))}
      </pre>
    </div>
  );
}
