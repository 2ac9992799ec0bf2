// Words of threat intelligence in the user's language.
import { indicatorTypes } from '../api/types';
import { useI18n, type MessageKey } from '../i18n';

/** useTypeName names an indicator type in the user's language (an unknown one as it is). */
export function useTypeName(): (type: string) => string {
  const { t } = useI18n();
  return (type) => ((indicatorTypes as string[]).includes(type) ? t(`intel.type.${type}` as MessageKey) : type);
}
