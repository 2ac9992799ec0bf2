// Filters kept in the page's query: a form of free fields plus a time
// range, applied or reset with buttons; and a listing's filter bar, whose
// selects apply at once and whose text applies on submit, with the
// listing's count and refresh.
import { useEffect, useState, type ChangeEvent, type FormEvent, type ReactNode } from 'react';
import { useI18n, type MessageKey } from '../i18n';
import { toLocalInput, toRFC3339 } from '../lib/time';
import type { Paged } from '../lib/usePaged';
import { navigate, useLocation, withQuery } from '../router';
import { RefreshButton } from './PagedList';

type Filter<K extends string> = Record<K, string>;

const timeKeys: readonly string[] = ['since', 'until'];

/** readFilter reads the values of keys from a query ("" for those it lacks). */
function readFilter<K extends string>(query: URLSearchParams, keys: readonly K[]): Filter<K> {
  return Object.fromEntries(keys.map((k) => [k, query.get(k) ?? ''])) as Filter<K>;
}

/** useQueryFilter reads the applied filter from the query and edits a form of it. */
export function useQueryFilter<K extends string>(path: string, keys: readonly K[], onChange: () => void) {
  const { query } = useLocation();
  const applied = readFilter(query, keys);
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

/**
 * useLinkFilter reads a filter of plain values from the page's query; set
 * changes some of them in place (the history does not grow), and filtered
 * tells whether any is set.
 */
export function useLinkFilter<K extends string>(path: string, keys: readonly K[]) {
  const { query } = useLocation();
  const filter = readFilter(query, keys);
  return {
    filter,
    set: (over: Partial<Filter<K>>) => navigate(withQuery(path, { ...filter, ...over }), true),
    filtered: keys.some((k) => filter[k] !== ''),
  };
}

/** SearchText is the free text field of a listing's filter bar. */
export interface SearchText {
  /** the text input's value, change handler and no autocomplete */
  input: { value: string; onChange: (e: ChangeEvent<HTMLInputElement>) => void; autoComplete: 'off' };
  /** submit applies the text, or refreshes the listing when it is applied already */
  submit: (e: FormEvent) => void;
  /** clear empties the field */
  clear: () => void;
}

/**
 * useSearchText keeps the free text of a filter bar: typed freely, applied
 * (trimmed) on submit, and following the applied text when a link or the
 * history changes it.
 */
export function useSearchText(applied: string, apply: (text: string) => void, refresh: () => void): SearchText {
  const [text, setText] = useState(applied);
  useEffect(() => setText(applied), [applied]);
  return {
    input: { value: text, onChange: (e) => setText(e.target.value), autoComplete: 'off' },
    submit: (e) => {
      e.preventDefault();
      const v = text.trim();
      if (v === applied) refresh();
      else apply(v);
    },
    clear: () => setText(''),
  };
}

/** Option is a choice of a select: its value and what it shows. */
export interface Option {
  value: string;
  label: string;
}

/** optionsOf makes options of values, each shown by name (the value itself unless told). */
export function optionsOf(values: readonly string[], name: (value: string) => string = (v) => v): Option[] {
  return values.map((v) => ({ value: v, label: name(v) }));
}

/** hostOptions offers hosts by their name, or their id when they have none. */
export function hostOptions(agents: readonly { id: string; hostname: string }[] | null | undefined): Option[] {
  return (agents ?? []).map((a) => ({ value: a.id, label: a.hostname || a.id }));
}

interface SelectProps {
  name: string;
  /** the select's accessible name */
  label: string;
  /** the text of the first option, which sets no filter */
  all: string;
  value: string;
  onChange: (value: string) => void;
  options: readonly Option[];
  /** what shows for a value (from a link) that is none of the options: the value itself unless told */
  unknownLabel?: string;
  className?: string;
}

/** FilterSelect picks one value of a filter, or none; a value that is none of the options stays shown. */
export function FilterSelect({ name, label, all, value, onChange, options, unknownLabel, className }: SelectProps) {
  return (
    <select name={name} aria-label={label} value={value} onChange={(e) => onChange(e.target.value)} className={className}>
      <option value="">{all}</option>
      {value && !options.some((o) => o.value === value) && <option value={value}>{unknownLabel ?? value}</option>}
      {options.map((o) => (
        <option key={o.value} value={o.value}>
          {o.label}
        </option>
      ))}
    </select>
  );
}

/** CountedList is the part of a listing that a filter bar shows and refreshes. */
export type CountedList = Pick<Paged<unknown>, 'items' | 'nextCursor' | 'initial' | 'loading' | 'reload'>;

interface FormProps {
  /** data-testid of the form */
  testId: string;
  /** the free text field, submitted with the form */
  search: SearchText;
  /** whether any filter is set: "reset" shows then */
  filtered: boolean;
  /** where "reset" goes: the page without its filter */
  path: string;
  list: CountedList;
  /** the count's data-testid and texts, of a listing read to its end and of one with more to read */
  count: { testId: string; all: MessageKey; more: MessageKey };
  /** the filter's fields */
  children: ReactNode;
  /** buttons after the refresh */
  actions?: ReactNode;
}

/** FilterForm is a listing's filter bar: its fields, apply and reset, the count of what it shows and refresh. */
export function FilterForm({ testId, search, filtered, path, list, count, children, actions }: FormProps) {
  const { t } = useI18n();
  return (
    <form className="toolbar toolbar-wrap" onSubmit={search.submit} role="search" data-testid={testId}>
      {children}
      <button type="submit" className="btn btn-primary btn-small">
        {t('action.apply')}
      </button>
      {filtered && (
        <button
          type="button"
          className="btn btn-ghost btn-small"
          onClick={() => {
            search.clear();
            navigate(path, true);
          }}
        >
          {t('action.reset')}
        </button>
      )}
      <div className="toolbar-spacer" />
      {!list.initial && (
        <span className="count" data-testid={count.testId}>
          {t(list.nextCursor ? count.more : count.all, { n: list.items.length })}
        </span>
      )}
      <RefreshButton list={list} />
      {actions}
    </form>
  );
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
