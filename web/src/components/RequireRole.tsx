// Shows a page only to a role that may use it; others read which role it needs.
import type { ReactNode } from 'react';
import type { Role } from '../api/types';
import { useI18n, type MessageKey } from '../i18n';
import { hasRole } from '../lib/roles';
import { useSession } from '../session';

export function RequireRole({ need, children }: { need: Role; children: ReactNode }) {
  const { t } = useI18n();
  const session = useSession();
  // Until GET /me has answered the role may be unknown: the center decides.
  if (!session?.role || hasRole(session.role, need)) return <>{children}</>;
  return (
    <div className="needs-role" data-testid="needs-role" role="alert">
      <div className="needs-role-title">{t('access.needsRole', { role: t(`role.${need}` as MessageKey) })}</div>
      <p>
        {t('access.needsRoleText', {
          name: session.name || t('header.unknownUser'),
          current: t(`role.${session.role}` as MessageKey),
          role: t(`role.${need}` as MessageKey),
        })}
      </p>
    </div>
  );
}
