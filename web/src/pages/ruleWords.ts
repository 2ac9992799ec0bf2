// The words of a rule's kind, status and source, in the user's language;
// a value a newer center adds is shown as it is.
import type { MessageKey } from '../i18n';
import { ruleKinds, ruleSources, ruleStatuses } from '../api/types';

const known: Record<'kind' | 'status' | 'source', readonly string[]> = { kind: ruleKinds, status: ruleStatuses, source: ruleSources };

/** ruleWord translates one of a rule's kind, status or source. */
export function ruleWord(t: (k: MessageKey) => string, what: 'kind' | 'status' | 'source', v: string | undefined): string {
  if (!v) return '';
  return known[what].includes(v) ? t(`rule.${what}.${v}` as MessageKey) : v;
}
