// A filter form kept in the page's query: free fields plus a time range,
// applied or reset with buttons.
import { useState, type FormEvent } from 'react';
import { useI18n } from '../i18n';
import { toLocalInput, toRFC3339 } from '../lib/time';
import { navigate, useLocation, withQuery } from '../router';

type Filter<K extends string> = Record<K, string>;

const timeKeys: readonly string[] = ['since', 'until'];

/** useQueryFilter reads the applied filter from the query and edits a form of it. */
export function useQueryFilter<K extends string>(path: string, keys: readonly K[], onChange: () => void) {
  const { query } = useLocation();
  const applied = Object.fromEntries(keys.map((k) => [k, query.get(k) ?? ''])) as Filter<K>;
  const [form, setForm] = useState<Filter<K>>(() => {
    const f = { ...applied };
    for (const k of keys) if (timeKeys.includes(k)) f[k] = toLocalInput(applied[k]);
    return f;
  });
  const set = (k: K) => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value });
  const apply = (e: FormEvent) => {
    e.preventDefault();
    onChange();
    navigate(withQuery(path, Object.fromEntries(keys.map((k) => [k, timeKeys.includes(k) ? toRFC3339(form[k]) : form[k].trim()]))));
  };
  const reset = () => {
    setForm(Object.fromEntries(keys.map((k) => [k, ''])) as Filter<K>);
    onChange();
    navigate(path);
  };
  return { applied, form, set, apply, reset };
}

interface RangeProps {
  since: string;
  until: string;
  set: (k: 'since' | 'until') => (e: { target: { value: string } }) => void;
  onReset: () => void;
}

/** TimeRangeActions shows the since/until fields and the apply and reset buttons. */
export function TimeRangeActions({ since, until, set, onReset }: RangeProps) {
  const { t } = useI18n();
  return (
    <>
      <label className="inline">
        <span>{t('events.since')}</span>
        <input name="since" type="datetime-local" value={since} onChange={set('since')} />
      </label>
      <label className="inline">
        <span>{t('events.until')}</span>
        <input name="until" type="datetime-local" value={until} onChange={set('until')} />
      </label>
      <button type="submit" className="btn btn-primary btn-small">
        {t('action.apply')}
      </button>
      <button type="button" className="btn btn-ghost btn-small" onClick={onReset}>
        {t('action.reset')}
      </button>
    </>
  );
}
