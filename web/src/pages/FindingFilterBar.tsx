// The filters of the findings, vulnerabilities and patches listings: the
// severities (any several), known exploited, running and fixable apply at
// once; the text fields (free text, ecosystem, package, vulnerability id)
// and the host apply with the form.
import { useEffect, useState, type FormEvent } from 'react';
import { vulnSeverities, type Agent } from '../api/types';
import { FilterSelect, hostOptions } from '../components/FilterBar';
import { useI18n } from '../i18n';
import { emptyFindingFilter, filterCount, findingParams, toggleSeverity, type FindingFilter, type FindingFlag } from '../lib/risk';
import { useSeverityName } from './RiskViews';

interface Props {
  value: FindingFilter;
  onChange: (f: FindingFilter) => void;
  /** Agents to choose a host from (the host filter is left out without them). */
  agents?: Agent[];
  /** The flags offered (all three by default). */
  flags?: FindingFlag[];
  /** Offer the vulnerability id field. */
  vulnId?: boolean;
  testId?: string;
}

const flagKeys = { known_exploited: 'risk.filter.kev', running: 'risk.filter.running', fixable: 'risk.filter.fixable' } as const;

export function FindingFilterBar({ value, onChange, agents, flags = ['known_exploited', 'running', 'fixable'], vulnId, testId }: Props) {
  const { t } = useI18n();
  const sevName = useSeverityName();
  const [text, setText] = useState({ q: value.q, ecosystem: value.ecosystem, package: value.package, vuln_id: value.vuln_id, agent_id: value.agent_id });
  // The fields follow the URL (back and forward, a link followed).
  const applied = JSON.stringify(findingParams(value));
  useEffect(() => setText({ q: value.q, ecosystem: value.ecosystem, package: value.package, vuln_id: value.vuln_id, agent_id: value.agent_id }), [applied]);
  const set = (k: keyof typeof text) => (e: { target: { value: string } }) => setText({ ...text, [k]: e.target.value });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onChange({ ...value, ...Object.fromEntries(Object.entries(text).map(([k, v]) => [k, v.trim()])) });
  };

  return (
    <form className="risk-filter" onSubmit={submit} role="search" data-testid={testId}>
      <div className="toolbar toolbar-wrap">
        <input name="q" type="search" className="w-search" placeholder={t('risk.filter.q')} aria-label={t('risk.filter.q')} value={text.q} onChange={set('q')} autoComplete="off" />
        {vulnId && (
          <input name="vuln_id" className="mono w-field" placeholder={t('risk.filter.vulnId')} aria-label={t('risk.filter.vulnId')} value={text.vuln_id} onChange={set('vuln_id')} autoComplete="off" />
        )}
        <input name="ecosystem" className="w-field" placeholder={t('risk.filter.ecosystem')} aria-label={t('risk.filter.ecosystem')} value={text.ecosystem} onChange={set('ecosystem')} autoComplete="off" />
        <input name="package" className="w-field" placeholder={t('risk.filter.package')} aria-label={t('risk.filter.package')} value={text.package} onChange={set('package')} autoComplete="off" />
        {agents && (
          <FilterSelect
            name="agent_id"
            label={t('risk.filter.host')}
            all={t('risk.filter.allHosts')}
            value={text.agent_id}
            onChange={(agent_id) => {
              setText({ ...text, agent_id });
              onChange({ ...value, agent_id });
            }}
            options={hostOptions(agents)}
          />
        )}
        <button type="submit" className="btn btn-primary btn-small" data-testid="apply-filter">
          {t('action.apply')}
        </button>
        {filterCount(value) > 0 && (
          <button type="button" className="btn btn-ghost btn-small" onClick={() => onChange({ ...emptyFindingFilter })} data-testid="reset-filter">
            {t('action.reset')}
          </button>
        )}
      </div>
      <div className="toolbar toolbar-wrap risk-filter-flags">
        <span className="muted small">{t('risk.filter.severity')}</span>
        <span className="sev-toggles" role="group" aria-label={t('risk.filter.severity')} data-testid="severity-filter">
          {vulnSeverities.map((s) => {
            const on = value.severity.includes(s);
            return (
              <button
                key={s}
                type="button"
                className={`sev-toggle ${on ? 'sev-toggle-on' : ''}`}
                aria-pressed={on}
                data-severity={s}
                onClick={() => onChange({ ...value, severity: toggleSeverity(value.severity, s) })}
              >
                {sevName(s)}
              </button>
            );
          })}
        </span>
        {flags.map((k) => (
          <label key={k} className="check-inline">
            <input type="checkbox" name={k} checked={value[k]} onChange={(e) => onChange({ ...value, [k]: e.target.checked })} />
            <span>{t(flagKeys[k])}</span>
          </label>
        ))}
      </div>
    </form>
  );
}
