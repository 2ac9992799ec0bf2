// Events: filters, "load more" paging, each row expandable to its JSON.
import { listAgents, listEvents } from '../api/endpoints';
import type { EcsEvent } from '../api/types';
import { EventRow, useEventColumns } from '../components/EventRow';
import { useOpenRows } from '../components/ExpandRow';
import { TimeRangeActions, useQueryFilter } from '../components/FilterBar';
import { PagedTable } from '../components/PagedList';
import { useI18n } from '../i18n';
import { text } from '../lib/ecs';
import { useLoad } from '../lib/hooks';
import { usePaged } from '../lib/usePaged';

/** ECS categories offered as suggestions; any other value may be typed. */
const categories = ['process', 'network', 'file', 'authentication', 'session', 'package', 'host', 'configuration', 'iam', 'intrusion_detection', 'malware', 'driver'];

const keys = ['agent_id', 'category', 'action', 'q', 'since', 'until'] as const;

function eventKey(e: EcsEvent, i: number): string {
  return text(e, 'event.id') || `${text(e, '@timestamp')}-${i}`;
}

export function EventsPage() {
  const { t } = useI18n();
  const open = useOpenRows<string>();
  const { applied, form, set, apply, reset } = useQueryFilter('/events', keys, open.closeAll);
  const events = usePaged((cursor, signal) => listEvents({ ...applied, cursor }, signal), keys.map((k) => applied[k]));
  const agents = useLoad((signal) => listAgents({}, signal), []);
  const columns = useEventColumns('page');

  return (
    <div className="page">
      <form className="toolbar toolbar-wrap" onSubmit={apply} data-testid="events-filter">
        <input name="agent_id" list="agent-ids" placeholder={t('events.agent')} aria-label={t('events.agent')} value={form.agent_id} onChange={set('agent_id')} />
        <datalist id="agent-ids">
          {(agents.data?.items ?? []).map((a) => (
            <option key={a.id} value={a.id}>
              {a.hostname}
            </option>
          ))}
        </datalist>
        <input name="category" list="categories" className="w-small" placeholder={t('events.category')} aria-label={t('events.category')} value={form.category} onChange={set('category')} />
        <datalist id="categories">
          {categories.map((c) => (
            <option key={c} value={c} />
          ))}
        </datalist>
        <input name="action" className="w-small" placeholder={t('events.action')} aria-label={t('events.action')} value={form.action} onChange={set('action')} />
        <input name="q" type="search" className="w-search" placeholder={t('events.text')} aria-label={t('events.text')} value={form.q} onChange={set('q')} />
        <TimeRangeActions since={form.since} until={form.until} set={set} onReset={reset} />
        <div className="toolbar-spacer" />
        <span className="count">{t('events.count', { n: events.items.length })}</span>
      </form>
      <PagedTable
        list={events}
        empty={t('events.empty')}
        testId="events-table"
        moreTestId="load-more"
        columns={[{ className: 'c-toggle' }, ...columns]}
      >
        {events.items.map((e, i) => {
          const k = eventKey(e, i);
          return <EventRow key={k} event={e} variant="page" open={open.isOpen(k)} onToggle={() => open.toggle(k)} />;
        })}
      </PagedTable>
    </div>
  );
}
