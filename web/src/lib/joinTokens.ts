// Join tokens: whether one can still enroll agents.
import type { JoinToken } from '../api/types';
import { parseTime } from './time';

/** tokenState says whether a join token can still enroll agents at time now (ms). */
export function tokenState(t: JoinToken, now: number): 'active' | 'expired' | 'usedUp' {
  const exp = parseTime(t.expires_at);
  if (exp && exp.getTime() <= now) return 'expired';
  if (t.usage_limit > 0 && t.uses >= t.usage_limit) return 'usedUp';
  return 'active';
}
