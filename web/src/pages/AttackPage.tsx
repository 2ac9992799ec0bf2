// The ATT&CK matrix: tactics as columns, their techniques as cells coloured
// by the alerts they fired and the enabled rules that cover them (over a
// period kept in the URL), sub-techniques under a technique on demand. A
// cell opens the technique: its counts, sub-techniques and rules, with
// links to the rules and the alerts of it.
import { useEffect, useMemo, useState, type ReactNode } from 'react';
import { attackCoverage, listRules } from '../api/detect';
import type { AttackCell, AttackCoverage } from '../api/types';
import { LevelBadge } from '../components/badges';
import { Drawer, Facts, Section } from '../components/Drawer';
import { Empty, ErrorBanner, Loading } from '../components/feedback';
import { useI18n, type Lang } from '../i18n';
import {
  coverageTotals,
  defaultPeriod,
  expandableKeys,
  findCell,
  isPeriod,
  layoutMatrix,
  parentId,
  periods,
  periodSince,
  type Period,
  type Show,
} from '../lib/attack';
import { rememberCoverage } from '../lib/attackNames';
import { useLoad } from '../lib/hooks';
import { formatTime } from '../lib/time';
import { Link, navigate, useLocation, withQuery } from '../router';

const shows: Show[] = ['all', 'covered', 'fired'];

function cellName(c: { name: string; name_zh?: string }, lang: Lang): string {
  return (lang === 'zh' && c.name_zh) || c.name;
}

export function AttackPage() {
  const { t, lang } = useI18n();
  const { query } = useLocation();
  const p = query.get('period');
  const period: Period = isPeriod(p) ? p : defaultPeriod;
  const s = query.get('show') as Show | null;
  const show: Show = s && shows.includes(s) ? s : 'all';
  const selected = query.get('technique') ?? '';
  // The start of the period, fixed when the period is chosen.
  const since = useMemo(() => periodSince(period, Date.now()), [period]);
  const cov = useLoad((signal) => attackCoverage(since, signal), [since]);
  const [open, setOpen] = useState<ReadonlySet<string>>(new Set());
  const columns = useMemo(() => layoutMatrix(cov.data, show, open), [cov.data, show, open]);
  const totals = useMemo(() => coverageTotals(cov.data), [cov.data]);
  useEffect(() => {
    if (cov.data) rememberCoverage(cov.data);
  }, [cov.data]);
  const go = (patch: Record<string, string>) =>
    navigate(withQuery('/attack', { period: period === defaultPeriod ? '' : period, show: show === 'all' ? '' : show, technique: selected, ...patch }), true);
  const toggle = (key: string) => {
    const next = new Set(open);
    if (!next.delete(key)) next.add(key);
    setOpen(next);
  };

  return (
    <div className="page attack-page">
      <div className="toolbar toolbar-wrap" data-testid="attack-toolbar">
        <label className="inline">
          <span>{t('attack.period')}</span>
          <select name="period" value={period} onChange={(e) => go({ period: e.target.value === defaultPeriod ? '' : e.target.value })}>
            {(Object.keys(periods) as Period[]).map((x) => (
              <option key={x} value={x}>
                {t(`attack.period.${x}`)}
              </option>
            ))}
          </select>
        </label>
        <label className="inline">
          <span>{t('attack.show')}</span>
          <select name="show" value={show} onChange={(e) => go({ show: e.target.value === 'all' ? '' : e.target.value })}>
            {shows.map((x) => (
              <option key={x} value={x}>
                {t(`attack.show.${x}`)}
              </option>
            ))}
          </select>
        </label>
        <button type="button" className="btn btn-small" onClick={() => setOpen(expandableKeys(cov.data))} data-testid="expand-all">
          {t('attack.expandAll')}
        </button>
        <button type="button" className="btn btn-small" onClick={() => setOpen(new Set())}>
          {t('attack.collapseAll')}
        </button>
        <div className="toolbar-spacer" />
        <button type="button" className="btn btn-small" onClick={cov.refresh} disabled={cov.loading}>
          {t('action.refresh')}
        </button>
      </div>
      <ErrorBanner error={cov.error} onRetry={cov.refresh} />
      {!cov.data && !cov.error && <Loading />}
      {cov.data && (
        <>
          <div className="attack-summary" data-testid="attack-summary">
            <span>{t('attack.version', { v: cov.data.version })}</span>
            <span>{t('attack.rules', { n: cov.data.rules })}</span>
            <span data-testid="attack-covered">{t('attack.covered', { n: totals.covered, of: totals.techniques, subs: totals.subCovered })}</span>
            <span data-testid="attack-fired">{t('attack.fired', { n: totals.fired, alerts: cov.data.alerts, since: formatTime(cov.data.since) })}</span>
            <span className="attack-legend">
              <span className="heat heat-fired-3" /> {t('attack.legend.fired')} <span className="heat heat-covered" /> {t('attack.legend.covered')} <span className="heat heat-none" /> {t('attack.legend.none')}
            </span>
          </div>
          {cov.data.truncated && <div className="warn-banner">{t('attack.truncated')}</div>}
          <div className="matrix-wrap">
            <div className="matrix" data-testid="attack-matrix">
              {columns.map(({ column, cells, shown }) => (
                <div key={column.tactic.id} className="matrix-col" data-tactic={column.tactic.short_name}>
                  <div className="matrix-head" title={column.tactic.id}>
                    <div className="matrix-tactic">{cellName(column.tactic, lang)}</div>
                    <div className="matrix-sub">
                      {t('attack.colCount', { covered: column.covered_techniques, n: (column.techniques ?? []).length })}
                      {column.fired_techniques > 0 && <span className="matrix-fired"> · {t('attack.colFired', { n: column.fired_techniques })}</span>}
                    </div>
                  </div>
                  {shown === 0 && <div className="matrix-none">—</div>}
                  {cells.map((c) => (
                    <div key={c.key} className={`matrix-cell heat-${c.heat} ${c.sub ? 'matrix-subcell' : ''} ${selected === c.cell.id ? 'matrix-selected' : ''}`} data-technique={c.cell.id} data-heat={c.heat}>
                      <button type="button" className="matrix-cell-main" onClick={() => go({ technique: c.cell.id })} title={`${c.cell.id} ${cellName(c.cell, lang)}`}>
                        <span className="matrix-name">{cellName(c.cell, lang)}</span>
                        <span className="matrix-meta">
                          <span className="mono">{c.cell.id}</span>
                          <CellCounts cell={c.cell} sub={c.sub} />
                        </span>
                      </button>
                      {c.subs > 0 && (
                        <button type="button" className="matrix-toggle" onClick={() => toggle(c.key)} aria-expanded={c.open} title={c.open ? t('attack.hideSubs') : t('attack.showSubs')} data-testid="sub-toggle">
                          {c.open ? '▾' : '▸'} {c.subs}
                        </button>
                      )}
                    </div>
                  ))}
                </div>
              ))}
            </div>
          </div>
          {(cov.data.unmapped ?? []).length > 0 && <Unmapped cells={cov.data.unmapped ?? []} onPick={(id) => go({ technique: id })} />}
        </>
      )}
      {selected && cov.data && <TechniqueDrawer cov={cov.data} id={selected} since={cov.data.since} onPick={(id) => go({ technique: id })} onClose={() => go({ technique: '' })} />}
    </div>
  );
}

/** CellCounts says how many rules cover a cell and how many alerts it fired (totals for a technique). */
function CellCounts({ cell, sub }: { cell: AttackCell; sub: boolean }) {
  const { t } = useI18n();
  const covered = sub ? cell.covered : cell.total_covered;
  const fired = sub ? cell.fired : cell.total_fired;
  return (
    <>
      {covered > 0 && (
        <span className="matrix-count" title={t('attack.cellRules', { n: covered })} data-count="rules">
          {t('attack.cellRulesShort', { n: covered })}
        </span>
      )}
      {fired > 0 && (
        <span className="matrix-count matrix-count-fired" title={t('attack.cellAlerts', { n: fired })} data-count="alerts">
          {t('attack.cellAlertsShort', { n: fired })}
        </span>
      )}
    </>
  );
}

function Unmapped({ cells, onPick }: { cells: AttackCell[]; onPick: (id: string) => void }) {
  const { t, lang } = useI18n();
  return (
    <div className="panel">
      <Section title={t('attack.unmapped')}>
        <p className="hint">{t('attack.unmappedHint')}</p>
        <ul className="plain-list" data-testid="attack-unmapped">
          {cells.map((c) => (
            <li key={c.id}>
              <button type="button" className="btn btn-ghost btn-small" onClick={() => onPick(c.id)}>
                <span className="mono">{c.id}</span> {cellName(c, lang)}
              </button>{' '}
              <CellCounts cell={c} sub />
            </li>
          ))}
        </ul>
      </Section>
    </div>
  );
}

interface DrawerProps {
  cov: AttackCoverage;
  id: string;
  since: string;
  onPick: (id: string) => void;
  onClose: () => void;
}

/** TechniqueDrawer shows one technique: names, tactics, counts, sub-techniques, rules, and links to its rules and alerts. */
function TechniqueDrawer({ cov, id, since, onPick, onClose }: DrawerProps) {
  const { t, lang } = useI18n();
  const found = findCell(cov, id);
  const rules = useLoad((signal) => listRules({ technique: id, limit: 1000 }, signal), [id]);
  const parent = parentId(id) ? findCell(cov, parentId(id)) : null;
  if (!found) {
    return (
      <Drawer testId="technique-drawer" title={id} onClose={onClose}>
        <Empty>{t('attack.unknown', { id })}</Empty>
      </Drawer>
    );
  }
  const { cell, tactics } = found;
  const subs = cell.sub_techniques ?? [];
  const totalRules = subs.length > 0 ? cell.total_covered : cell.covered;
  const totalAlerts = subs.length > 0 ? cell.total_fired : cell.fired;
  const rulesLink = `/rules?technique=${encodeURIComponent(id)}`;
  const alertsLink = withQuery('/alerts', { technique: id, since });
  return (
    <Drawer
      testId="technique-drawer"
      onClose={onClose}
      title={
        <>
          <span className="mono">{cell.id}</span> {cellName(cell, lang)}
        </>
      }
      subtitle={lang === 'zh' ? cell.name : cell.name_zh}
    >
      <Section title={t('attack.technique')}>
        <Facts
          rows={[
            [t('attack.tactics'), tactics.map((x) => cellName(x, lang)).join(', ')],
            ...(parent
              ? ([
                  [
                    t('attack.parent'),
                    <button type="button" className="link-button" onClick={() => onPick(parent.cell.id)}>
                      {`${parent.cell.id} ${cellName(parent.cell, lang)}`}
                    </button>,
                  ],
                ] as [string, ReactNode][])
              : []),
            [t('attack.coveredBy'), t('attack.cellRules', { n: totalRules })],
            [t('attack.firedSince', { since: formatTime(since) }), t('attack.cellAlerts', { n: totalAlerts })],
          ]}
        />
        <div className="btn-row technique-links">
          <Link to={rulesLink} className="btn btn-small" title={t('attack.rulesLinkHint')}>
            {t('attack.rulesLink', { n: totalRules })}
          </Link>
          <Link to={alertsLink} className="btn btn-small" title={t('attack.alertsLinkHint')}>
            {t('attack.alertsLink', { n: totalAlerts })}
          </Link>
        </div>
      </Section>
      {subs.length > 0 && (
        <Section title={t('attack.subTechniques')}>
          <table className="table table-compact" data-testid="technique-subs">
            <tbody>
              {subs.map((s) => (
                <tr key={s.id} className="clickable" onClick={() => onPick(s.id)} data-technique={s.id}>
                  <td className="mono small">{s.id}</td>
                  <td>{cellName(s, lang)}</td>
                  <td className="num small">{t('attack.cellRules', { n: s.covered })}</td>
                  <td className="num small">{t('attack.cellAlerts', { n: s.fired })}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Section>
      )}
      <Section title={t('attack.rulesOf')}>
        <ErrorBanner error={rules.error} onRetry={rules.refresh} />
        {!rules.data && !rules.error && <Loading />}
        {rules.data && (rules.data.items ?? []).length === 0 && <Empty>{t('attack.noRules')}</Empty>}
        {rules.data && (rules.data.items ?? []).length > 0 && (
          <ul className="plain-list rule-list" data-testid="technique-rules">
            {(rules.data.items ?? []).map((r) => (
              <li key={r.id} data-rule-id={r.id} className={r.disabled ? 'row-off' : ''}>
                <LevelBadge level={r.level} /> <Link to={`/rules/${encodeURIComponent(r.id)}`}>{r.title}</Link>
                {r.disabled && <span className="muted"> · {t('rules.disabled')}</span>} ·{' '}
                <Link to={`/alerts?rule_id=${encodeURIComponent(r.id)}`} className="small">
                  {t('attack.ruleAlerts')}
                </Link>
              </li>
            ))}
          </ul>
        )}
      </Section>
    </Drawer>
  );
}
