// ATT&CK technique ids with their names (from the center's coverage
// table), each linking to the technique on the matrix.
import { useI18n } from '../i18n';
import { techniqueName } from '../lib/attack';
import { useTechniqueIndex } from '../lib/attackNames';
import { Link } from '../router';

/** useTechniqueName says a technique's name in the current language ('' while unknown). */
export function useTechniqueName(): (id: string, withParent?: boolean) => string {
  const { lang } = useI18n();
  const index = useTechniqueIndex();
  return (id, withParent = true) => techniqueName(index, id, lang, withParent);
}

interface Props {
  ids: readonly string[] | null | undefined;
  /** Show the names beside the ids (else only on hover). */
  names?: boolean;
  /** Link each to the matrix. */
  links?: boolean;
  testId?: string;
}

/** TechniqueList shows technique ids, with their names, as chips. */
export function TechniqueList({ ids, names = false, links = true, testId }: Props) {
  const name = useTechniqueName();
  const list = ids ?? [];
  if (list.length === 0) return <span className="muted">—</span>;
  return (
    <span className={names ? 'techniques techniques-named' : 'techniques'} data-testid={testId}>
      {list.map((id) => {
        const n = name(id);
        const body = (
          <>
            <span className="tech-id mono">{id}</span>
            {names && n && <span className="tech-name">{n}</span>}
          </>
        );
        return links ? (
          <Link key={id} to={`/attack?technique=${encodeURIComponent(id)}`} className="tech" title={n || id}>
            {body}
          </Link>
        ) : (
          <span key={id} className="tech" title={n || id}>
            {body}
          </span>
        );
      })}
    </span>
  );
}
