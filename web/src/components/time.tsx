// Relative and absolute times that follow the shared clock.
import { useI18n, type MessageKey } from '../i18n';
import { useNow } from '../lib/hooks';
import { formatTime, parseTime, span } from '../lib/time';

/** useSpanText formats a duration in ms, e.g. "5 min" / "5 分钟". */
export function useSpanText(): (ms: number) => string {
  const { t } = useI18n();
  return (ms: number) => {
    const s = span(ms);
    return t(`dur.${s.unit}` as MessageKey, { n: s.n });
  };
}

/** RelTime shows "5 min ago", with the absolute local time as a tooltip. */
export function RelTime({ value }: { value: string | undefined }) {
  const { t } = useI18n();
  const now = useNow();
  const spanText = useSpanText();
  const d = parseTime(value);
  if (!d) return <span className="muted">{t('time.never')}</span>;
  const ms = now - d.getTime();
  return (
    <time dateTime={value} title={formatTime(d)}>
      {ms < 5000 ? t('time.justNow') : t('time.ago', { d: spanText(ms) })}
    </time>
  );
}

/** Since shows how long ago a status began: "for 5 min". */
export function Since({ value }: { value: string | undefined }) {
  const { t } = useI18n();
  const now = useNow();
  const spanText = useSpanText();
  const d = parseTime(value);
  if (!d) return null;
  return (
    <time dateTime={value} title={formatTime(d)}>
      {t('time.for', { d: spanText(now - d.getTime()) })}
    </time>
  );
}

/** AbsTime shows local YYYY-MM-DD HH:mm:ss. */
export function AbsTime({ value }: { value: string | undefined }) {
  const { t } = useI18n();
  const s = formatTime(value);
  return s ? <time dateTime={value}>{s}</time> : <span className="muted">{t('time.never')}</span>;
}

/** Until shows how far off a time is ("in 5 h"), or "N ago" once it has passed. */
export function Until({ value }: { value: string | undefined }) {
  const { t } = useI18n();
  const now = useNow();
  const spanText = useSpanText();
  const d = parseTime(value);
  if (!d) return <span className="muted">{t('time.never')}</span>;
  const ms = d.getTime() - now;
  return (
    <time dateTime={value} title={formatTime(d)}>
      {ms > 0 ? t('time.in', { d: spanText(ms) }) : t('time.ago', { d: spanText(-ms) })}
    </time>
  );
}
