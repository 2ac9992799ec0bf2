// Routes of risk management: vulnerability findings and their summaries,
// patches, weak passwords and word lists, and the vulnerability database
// (its state, imports, syncs, jobs and advisories).
import { request, upload, type Query, type UploadProgress } from './client';
import type {
  Advisory,
  Listing,
  Patches,
  VulnDBStatus,
  VulnDetail,
  VulnFinding,
  VulnHostSummary,
  VulnJob,
  VulnSummary,
  WeakPassword,
  Wordlist,
} from './types';

const one = (s: string) => encodeURIComponent(s);

/** listFindings lists findings, most severe first; query is built by findingQuery (lib/risk). */
export function listFindings(query: Query, signal?: AbortSignal): Promise<Listing<VulnFinding>> {
  return request('GET', '/vulns', { query, signal });
}

/** vulnHosts counts each host's findings by severity, riskiest first (one host's with agentId). */
export function vulnHosts(agentId: string | undefined, signal?: AbortSignal): Promise<Listing<VulnHostSummary>> {
  return request('GET', '/vulns/hosts', { query: { agent_id: agentId }, signal });
}

/** listVulnSummaries lists the vulnerabilities the filtered findings name, with the hosts each affects. */
export function listVulnSummaries(query: Query, signal?: AbortSignal): Promise<Listing<VulnSummary>> {
  return request('GET', '/vulns/cves', { query, signal });
}

/** getVuln reads one vulnerability with its advisories and known exploited entry; its hosts come from listFindings. */
export function getVuln(id: string, signal?: AbortSignal): Promise<VulnDetail> {
  return request('GET', `/vulns/cves/${one(id)}`, { signal });
}

/** listPatches lists the upgrades of one host (query agent_id) or of the fleet. */
export function listPatches(query: Query, signal?: AbortSignal): Promise<Patches> {
  return request('GET', '/patches', { query, signal });
}

export interface WeakPasswordFilter {
  agent_id?: string;
  target?: string;
  type?: string;
  severity?: string;
  q?: string;
  cursor?: string;
  limit?: number;
}

export function listWeakPasswords(f: WeakPasswordFilter, signal?: AbortSignal): Promise<Listing<WeakPassword>> {
  return request('GET', '/weak-passwords', { query: { ...f, limit: f.limit ?? 100 }, signal });
}

/** listWordlists lists the uploaded word lists, without their words (admin). */
export function listWordlists(signal?: AbortSignal): Promise<Listing<Wordlist>> {
  return request('GET', '/weak-passwords/wordlists', { signal });
}

/** putWordlist creates or replaces a word list: one word per line (admin). */
export function putWordlist(name: string, words: string): Promise<Wordlist> {
  return upload('PUT', `/weak-passwords/wordlists/${one(name)}`, words, { contentType: 'text/plain; charset=utf-8' });
}

export function deleteWordlist(name: string): Promise<void> {
  return request('DELETE', `/weak-passwords/wordlists/${one(name)}`);
}

/** vulnDBStatus reads the database's state: advisories, sources, index, last fleet match and recent jobs. */
export function vulnDBStatus(signal?: AbortSignal): Promise<VulnDBStatus> {
  return request('GET', '/vulndb', { signal });
}

/** importVulnDB sends a file to import under a source's name (responder); the answer is the job started. */
export function importVulnDB(file: Blob, source: string, onProgress?: (p: UploadProgress) => void, signal?: AbortSignal): Promise<VulnJob> {
  return upload('POST', '/vulndb/import', file, { query: { source }, onProgress, signal });
}

/** syncVulnDB syncs the configured sources (or the one named) now (responder). */
export function syncVulnDB(source?: string): Promise<VulnJob> {
  return request('POST', '/vulndb/sync', { query: { source } });
}

export function vulnDBJob(id: string, signal?: AbortSignal): Promise<VulnJob> {
  return request('GET', `/vulndb/jobs/${one(id)}`, { signal });
}

export interface AdvisoryFilter {
  /** The id or an alias, exactly. */
  id?: string;
  ecosystem?: string;
  source?: string;
  severity?: string;
  q?: string;
  cursor?: string;
  limit?: number;
}

export function listAdvisories(f: AdvisoryFilter, signal?: AbortSignal): Promise<Listing<Advisory>> {
  return request('GET', '/vulndb/advisories', { query: { ...f, limit: f.limit ?? 50 }, signal });
}

/** getAdvisory reads one advisory with its OSV record. */
export function getAdvisory(id: string, signal?: AbortSignal): Promise<Advisory> {
  return request('GET', `/vulndb/advisories/${one(id)}`, { signal });
}
