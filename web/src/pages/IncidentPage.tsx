// One incident: its header (severity, state, hosts, assignee, times,
// rules, techniques, what its alerts share), its handling (state moves,
// assignee, comment) and history, then on tabs the timeline (事件还原),
// the process tree, its alerts, the network peers, the files touched and
// the techniques seen. The tab and the timeline's span are in the URL.
import { useMemo, useState } from 'react';
import { getIncident, incidentTimeline, setIncidentState } from '../api/detect';
import type { Incident, IncidentState } from '../api/types';
import { IncidentStateBadge, SeverityBadge } from '../components/badges';
import { Facts, Section } from '../components/Drawer';
import { Empty, ErrorBanner, Loading } from '../components/feedback';
import { Tabs } from '../components/Tabs';
import { TechniqueList } from '../components/Techniques';
import { AbsTime, RelTime } from '../components/time';
import { useI18n, type MessageKey } from '../i18n';
import { useLoad } from '../lib/hooks';
import { incidentHosts, incidentMoves } from '../lib/incidents';
import { checkSpan, defaultSpan } from '../lib/timeline';
import { checkName } from '../lib/validate';
import { Link, navigate, useLocation, withQuery } from '../router';
import { allows, useSession } from '../session';
import { IncidentAlerts, IncidentFiles, IncidentPeers, IncidentTechniques } from './IncidentSections';
import { IncidentTimeline } from './IncidentTimeline';
import { IncidentTree } from './IncidentTree';

export const incidentTabs = ['timeline', 'processes', 'alerts', 'network', 'files', 'techniques'] as const;
export type IncidentTab = (typeof incidentTabs)[number];

/** incidentTab reads the tab named in the URL, the timeline for anything else. */
export function incidentTab(v: string | null | undefined): IncidentTab {
  return incidentTabs.find((t) => t === v) ?? 'timeline';
}

const moveKey: Record<IncidentState, MessageKey> = {
  investigating: 'incident.investigate',
  resolved: 'incident.resolve',
  false_positive: 'incident.falsePositive',
  open: 'incident.reopen',
};

/** How often the incident and its timeline are read again while the page is open. */
const pollMs = 15_000;

export function IncidentPage({ id }: { id: string }) {
  const { t } = useI18n();
  const { query } = useLocation();
  const tab = incidentTab(query.get('tab'));
  const before = checkSpan(query.get('before'));
  const after = checkSpan(query.get('after'));
  const incident = useLoad((signal) => getIncident(id, signal), [id], pollMs);
  const timeline = useLoad((signal) => incidentTimeline(id, { before, after }, signal), [id, before, after], pollMs);
  // The incident the last change returned, shown until a newer load.
  const [changed, setChanged] = useState<{ inc: Incident; at: number } | null>(null);
  const inc = changed && changed.inc.id === id && (incident.updatedAt ?? 0) < changed.at ? changed.inc : incident.data;
  const ruleTitles = useMemo(() => new Map((timeline.data?.alerts ?? []).map((a) => [a.rule_id, a.title])), [timeline.data]);
  const here = `/incidents/${encodeURIComponent(id)}`;
  // The URL names only what differs from the defaults.
  const span = (v: string) => (v === defaultSpan ? '' : v);
  const go = (p: Record<string, string>) => navigate(withQuery(here, { tab: tab === 'timeline' ? '' : tab, before: span(before), after: span(after), ...p }), true);

  return (
    <div className="page incident-page" data-testid="incident-page">
      <div className="crumbs">
        <Link to="/incidents">← {t('nav.incidents')}</Link>
      </div>
      <ErrorBanner error={incident.error} onRetry={incident.refresh} />
      {!inc && !incident.error && <Loading />}
      {inc && (
        <>
          <IncidentHeader inc={inc} ruleTitles={ruleTitles} />
          <div className="incident-top">
            <IncidentHandling
              inc={inc}
              onChanged={(x) => {
                setChanged({ inc: x, at: Date.now() });
                incident.refresh();
              }}
            />
            <IncidentHistory inc={inc} />
          </div>
          <div className="panel">
            <Tabs
              label={t('incident.tabs')}
              testId="incident-tabs"
              value={tab}
              onChange={(k) => go({ tab: k === 'timeline' ? '' : k })}
              tabs={[
                { key: 'timeline', label: t('incident.tab.timeline') },
                { key: 'processes', label: t('incident.tab.processes') },
                { key: 'alerts', label: t('incident.tab.alerts', { n: inc.alert_count }) },
                { key: 'network', label: t('incident.tab.network') },
                { key: 'files', label: t('incident.tab.files') },
                { key: 'techniques', label: t('incident.tab.techniques') },
              ]}
            />
            <div className="panel-body">
              {tab === 'alerts' ? (
                <IncidentAlerts id={id} />
              ) : (
                <>
                  <ErrorBanner error={timeline.error} onRetry={timeline.refresh} />
                  {!timeline.data && !timeline.error && <Loading />}
                  {timeline.data && tab === 'timeline' && (
                    <IncidentTimeline
                      timeline={timeline.data}
                      before={before}
                      after={after}
                      onSpan={(b, a) => go({ before: span(b), after: span(a) })}
                    />
                  )}
                  {timeline.data && tab === 'processes' && <IncidentTree timeline={timeline.data} />}
                  {timeline.data && tab === 'network' && <IncidentPeers timeline={timeline.data} />}
                  {timeline.data && tab === 'files' && <IncidentFiles timeline={timeline.data} />}
                  {timeline.data && tab === 'techniques' && <IncidentTechniques timeline={timeline.data} />}
                </>
              )}
            </div>
          </div>
        </>
      )}
    </div>
  );
}

function IncidentHeader({ inc, ruleTitles }: { inc: Incident; ruleTitles: ReadonlyMap<string, string> }) {
  const { t } = useI18n();
  const [showEntities, setShowEntities] = useState(false);
  const entities = inc.entities ?? [];
  return (
    <div className="panel incident-head" data-testid="incident-head">
      <div className="incident-title">
        <h2>{inc.title}</h2>
        <span className="drawer-status">
          <SeverityBadge severity={inc.severity} /> <IncidentStateBadge state={inc.state} />
          <span className="muted mono small"> {inc.id}</span>
        </span>
      </div>
      <Facts
        className="facts-5"
        rows={[
          [
            t('incidents.col.hosts'),
            <span className="chips">
              {incidentHosts(inc).map((h) => (
                <Link key={h.id} to={`/agents/${encodeURIComponent(h.id)}`} title={h.id}>
                  {h.name || h.id}
                </Link>
              ))}
            </span>,
          ],
          [t('incidents.col.assignee'), inc.assignee ? <span data-testid="incident-assignee">{inc.assignee}</span> : ''],
          [
            t('incidents.col.alerts'),
            <Link to={`/alerts?incident_id=${encodeURIComponent(inc.id)}`} title={t('incident.alertsLink')}>
              {t('incident.alertCount', { n: inc.alert_count })}
            </Link>,
          ],
          [t('alert.firstSeen'), <AbsTime value={inc.first_seen} />],
          [
            t('alerts.col.lastSeen'),
            <span>
              <AbsTime value={inc.last_seen} /> · <RelTime value={inc.last_seen} />
            </span>,
          ],
        ]}
      />
      <Facts
        className="facts-rows"
        rows={[
          [t('alerts.col.techniques'), <TechniqueList ids={inc.techniques} testId="incident-techniques" />],
          [
            t('incident.rules'),
            (inc.rule_ids ?? []).length === 0 ? (
              ''
            ) : (
              <span className="rule-links">
                {(inc.rule_ids ?? []).map((r) => (
                  <Link key={r} to={`/rules/${encodeURIComponent(r)}`} title={r}>
                    {ruleTitles.get(r) ?? r}
                  </Link>
                ))}
              </span>
            ),
          ],
          [
            t('incident.entities'),
            entities.length === 0 ? (
              ''
            ) : (
              <div>
                <button type="button" className="link-button" onClick={() => setShowEntities(!showEntities)} aria-expanded={showEntities}>
                  {showEntities ? '▾' : '▸'} {t('incident.entityCount', { n: entities.length })}
                </button>
                {showEntities && (
                  <ul className="entity-list" data-testid="incident-entities">
                    {entities.map((e, i) => (
                      <li key={`${e.kind}-${e.value}-${i}`}>
                        <span className="tag">{entityKind(t, e.kind)}</span> <span className="mono small">{e.value}</span>
                      </li>
                    ))}
                  </ul>
                )}
              </div>
            ),
          ],
        ]}
      />
    </div>
  );
}

function entityKind(t: (k: MessageKey) => string, kind: string): string {
  return ['process', 'ip', 'user', 'file_hash', 'file', 'domain'].includes(kind) ? t(`entity.${kind}` as MessageKey) : kind;
}

/** IncidentHandling moves the incident, assigns it and leaves a comment (analyst). */
function IncidentHandling({ inc, onChanged }: { inc: Incident; onChanged: (inc: Incident) => void }) {
  const { t } = useI18n();
  const session = useSession();
  const permitted = allows(session, 'analyst');
  const [comment, setComment] = useState('');
  const [assignee, setAssignee] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const who = assignee.trim();
  const assigneeOk = who === '' || checkName(who);
  // A signed-in user may take the incident; an API token is not a user.
  const me = session?.kind === 'session' && session.name && checkName(session.name) ? session.name : '';

  const send = async (state: IncidentState | undefined, to: string) => {
    setBusy(true);
    setError(null);
    try {
      const updated = await setIncidentState(inc.id, { state, assignee: to || undefined, comment: comment.trim() || undefined });
      setComment('');
      setAssignee('');
      if (updated?.id) onChanged(updated);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="panel incident-handling" data-testid="incident-handling">
      <Section title={t('incident.handling')}>
        {!permitted && <div className="info-banner">{t('incident.readOnly')}</div>}
        <ErrorBanner error={error} />
        <textarea
          name="comment"
          className="comment-input"
          rows={2}
          placeholder={t('incident.commentPlaceholder')}
          aria-label={t('triage.comment')}
          value={comment}
          onChange={(e) => setComment(e.target.value)}
          disabled={!permitted}
        />
        <div className="btn-row">
          {(incidentMoves[inc.state] ?? []).map((s) => (
            <button
              key={s}
              type="button"
              data-action={s}
              className={`btn btn-small ${s === 'investigating' ? 'btn-primary' : ''}`}
              disabled={busy || !permitted || !assigneeOk}
              title={permitted ? '' : t('error.needAnalyst')}
              onClick={() => void send(s, who)}
            >
              {t(moveKey[s])}
            </button>
          ))}
        </div>
        <div className="assign-row">
          <input
            name="assignee"
            className={`w-assignee ${assigneeOk ? '' : 'invalid'}`}
            placeholder={t('incident.assigneePlaceholder')}
            aria-label={t('incidents.col.assignee')}
            value={assignee}
            onChange={(e) => setAssignee(e.target.value)}
            disabled={!permitted}
            autoComplete="off"
          />
          <button type="button" className="btn btn-small" data-action="assign" disabled={busy || !permitted || !who || !assigneeOk} onClick={() => void send(undefined, who)} title={permitted ? '' : t('error.needAnalyst')}>
            {t('incident.assign')}
          </button>
          {me && me !== inc.assignee && (
            <button type="button" className="btn btn-small btn-ghost" data-action="assign-me" disabled={busy || !permitted} onClick={() => void send(undefined, me)}>
              {t('incident.assignMe')}
            </button>
          )}
        </div>
        {!assigneeOk && <small className="field-error">{t('form.nameHint')}</small>}
      </Section>
    </div>
  );
}

function IncidentHistory({ inc }: { inc: Incident }) {
  const { t } = useI18n();
  const comments = inc.comments ?? [];
  return (
    <div className="panel incident-history">
      <Section title={t('incident.history')}>
        {comments.length === 0 ? (
          <Empty>{t('incident.noHistory')}</Empty>
        ) : (
          <ol className="timeline" data-testid="incident-comments">
            {[...comments].reverse().map((c, i) => (
              <li key={`${c.at}-${i}`}>
                <div className="timeline-head">
                  <IncidentStateBadge state={c.state} />
                  <span className="strong">{c.author}</span>
                  <span className="muted">
                    <AbsTime value={c.at} />
                  </span>
                </div>
                {c.text && <div className="timeline-text">{c.text}</div>}
              </li>
            ))}
          </ol>
        )}
      </Section>
    </div>
  );
}
