// Routes of the notification channels: the file's and the API's channels
// with their delivery counters, changes of the API's ones and test messages.
import { ApiError, request } from './client';
import type { Listing, NotifyChannel, NotifyChannelConfig, NotifyFieldProblem, NotifyTestResult } from './types';

const one = (s: string) => encodeURIComponent(s);

/** listNotifyChannels reads every channel: the center answers them in one page. */
export function listNotifyChannels(signal?: AbortSignal): Promise<Listing<NotifyChannel>> {
  return request('GET', '/notify/channels', { signal });
}

export function getNotifyChannel(name: string, signal?: AbortSignal): Promise<NotifyChannel> {
  return request('GET', `/notify/channels/${one(name)}`, { signal });
}

/** putNotifyChannel creates or replaces a channel of the API; write-only fields left out keep their value. */
export function putNotifyChannel(name: string, config: NotifyChannelConfig): Promise<NotifyChannel> {
  return request('PUT', `/notify/channels/${one(name)}`, { body: config });
}

export function deleteNotifyChannel(name: string): Promise<void> {
  return request('DELETE', `/notify/channels/${one(name)}`);
}

/** testNotifyChannel sends a test message now; a failed delivery is an answer with ok false, not an error. */
export function testNotifyChannel(name: string): Promise<NotifyTestResult> {
  return request('POST', `/notify/channels/${one(name)}/test`);
}

/** fieldProblems reads the invalid fields of a refused configuration (a 400 listing them); empty for any other error. */
export function fieldProblems(err: unknown): NotifyFieldProblem[] {
  if (!(err instanceof ApiError) || err.status !== 400) return [];
  const fields = (err.body as { fields?: unknown } | undefined)?.fields;
  if (!Array.isArray(fields)) return [];
  return fields.filter((f): f is NotifyFieldProblem => !!f && typeof f === 'object' && typeof f.path === 'string' && typeof f.reason === 'string');
}
