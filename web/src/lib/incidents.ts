// Incidents: the state moves the center allows, and reading an incident's
// hosts.
import type { Incident, IncidentState } from '../api/types';

/** The moves from each state (docs/api.md); "open" again is a reopen. */
export const incidentMoves: Record<IncidentState, IncidentState[]> = {
  open: ['investigating', 'resolved', 'false_positive'],
  investigating: ['resolved', 'false_positive', 'open'],
  resolved: ['open'],
  false_positive: ['open'],
};

/** canMoveIncident reports whether the center allows a move (an unknown state allows none). */
export function canMoveIncident(from: string, to: IncidentState): boolean {
  return (incidentMoves[from as IncidentState] ?? []).includes(to);
}

/** Host is one host of an incident: its agent id and, when known, its name. */
export interface Host {
  id: string;
  name: string;
}

/** incidentHosts pairs the agent ids with the hostnames given in the same order. */
export function incidentHosts(inc: Pick<Incident, 'agent_ids' | 'hostnames'>): Host[] {
  const names = inc.hostnames ?? [];
  return (inc.agent_ids ?? []).map((id, i) => ({ id, name: names[i] ?? '' }));
}
