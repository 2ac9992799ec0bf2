// Fixture data for the threat intelligence and login baseline routes of
// the fake API: indicators of a feed (more than one page of them), a few
// added by hand (with hits, an address network, techniques and a
// reference), an expired campaign's, and the login profiles of the
// fleet's users (learned and learning) in the shapes of
// GET /api/v1/intel and GET /api/v1/baselines/logins. Times are relative
// to `now`.
import { createHash } from 'node:crypto';

const minute = 60_000;
const hour = 3_600_000;
const day = 86_400_000;

/** @param {number} now @param {number} ms */
function at(now, ms) {
  return new Date(now + ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** indicatorId is the center's id of an indicator: its type, normalized value and source hashed. */
export function indicatorId(type, value, source) {
  return createHash('sha256').update(`${type}\0${value}\0${source}`).digest('hex').slice(0, 24);
}

/** The feed's addresses: more than a page of the listing. */
export const feedSize = 130;

/**
 * makeIndicators returns the stored indicators.
 * @param {number} now
 */
export function makeIndicators(now) {
  const make = (type, value, source, over = {}) => ({
    id: indicatorId(type, value, source),
    type,
    value,
    source,
    severity: 'medium',
    confidence: 50,
    tags: [],
    techniques: [],
    created_at: at(now, -20 * day),
    updated_at: at(now, -2 * day),
    hits: 0,
    ...over,
  });
  const feed = Array.from({ length: feedSize }, (_, i) =>
    make('ip', `198.51.100.${i + 1}`, 'feodo-ips', {
      description: 'botnet C2 server',
      severity: 'high',
      confidence: 80,
      tags: ['c2', 'botnet'],
      updated_by: 'token:feeds',
      expires_at: at(now, 25 * day),
      ...(i === 6 ? { hits: 3, last_hit_at: at(now, -40 * minute) } : {}),
    }),
  );
  return [
    ...feed,
    make('ip', '203.0.113.7', 'manual', {
      description: 'Cobalt Strike team server',
      severity: 'critical',
      confidence: 95,
      tags: ['c2', 'cobalt-strike'],
      techniques: ['T1071.001'],
      reference: 'https://intel.example.com/reports/42',
      updated_by: 'admin',
      hits: 12,
      last_hit_at: at(now, -5 * minute),
    }),
    make('ip', '203.0.113.128/25', 'manual', { description: 'bulletproof hosting range', severity: 'high', confidence: 70, updated_by: 'admin' }),
    make('domain', 'evil.example.com', 'manual', { description: 'phishing kit host', severity: 'high', confidence: 90, tags: ['phishing'], updated_by: 'admin', hits: 2, last_hit_at: at(now, -3 * hour) }),
    make('url', 'http://malware.example.net/x.sh', 'manual', { description: 'dropper script', severity: 'high', confidence: 85, updated_by: 'admin' }),
    make('sha256', '5f4dcc3b5aa765d61d8327deb882cf995f4dcc3b5aa765d61d8327deb882cf99', 'manual', { description: 'xmrig miner', severity: 'medium', confidence: 75, tags: ['miner'], updated_by: 'admin' }),
    make('md5', '44d88612fea8a8f36de82e1278abb02f', 'manual', { description: 'EICAR test file', severity: 'low', confidence: 100, updated_by: 'admin' }),
    make('ip', '192.0.2.66', 'old-campaign', { description: 'scanner of a past campaign', severity: 'medium', confidence: 60, expires_at: at(now, -2 * day), created_at: at(now, -60 * day), updated_at: at(now, -40 * day) }),
    make('domain', 'bad.example.org', 'old-campaign', { description: 'retired C2 domain', severity: 'medium', confidence: 60, expires_at: at(now, -5 * day), created_at: at(now, -60 * day), updated_at: at(now, -40 * day) }),
  ];
}

/** hoursOf spreads logins over the hours of the day: weights per hour, scaled to total. */
function hoursOf(weights, total) {
  const sum = weights.reduce((a, b) => a + b, 0);
  const hours = weights.map((w) => Math.floor((w * total) / sum));
  hours[weights.indexOf(Math.max(...weights))] += total - hours.reduce((a, b) => a + b, 0);
  return hours;
}

const office = [0, 0, 0, 0, 0, 0, 0, 1, 4, 9, 10, 9, 5, 8, 10, 9, 7, 4, 2, 1, 0, 0, 0, 0];
const night = [2, 6, 9, 4, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];

/**
 * makeLoginProfiles returns the stored login profiles (without hostnames,
 * which come from the agents), by agent then user.
 * @param {number} now
 */
export function makeLoginProfiles(now) {
  /** A learned profile, or one still learning (no learned_at) when over says so. */
  const profile = (agentId, user, logins, weights, sources, over = {}) => ({
    agent_id: agentId,
    user,
    first_seen: at(now, -30 * day),
    last_seen: at(now, -2 * hour),
    logins,
    hours: hoursOf(weights, logins),
    sources,
    revision: logins,
    status: 'learned',
    ...(over.status === 'learning' ? {} : { learned_at: at(now, -16 * day) }),
    ...over,
  });
  const src = (ip, firstDays, lastHours, count) => ({ ip, first_seen: at(now, -firstDays * day), last_seen: at(now, -lastHours * hour), count });
  return [
    profile('7f1c2a9e-0001', 'alice', 214, office, [src('10.0.0.5', 30, 2, 170), src('10.0.0.6', 21, 26, 40), src('192.0.2.10', 9, 200, 4)]),
    profile('7f1c2a9e-0001', 'deploy', 96, night, [src('10.0.9.20', 30, 5, 96)], { last_seen: at(now, -5 * hour) }),
    profile('7f1c2a9e-0001', 'root', 3, office, [], { status: 'learning', first_seen: at(now, -2 * day) }),
    profile('7f1c2a9e-0002', 'alice', 120, office, [src('10.0.0.5', 28, 3, 118), src('10.0.0.7', 2, 48, 2)]),
    profile('7f1c2a9e-0002', 'bob', 7, office, [src('10.0.3.14', 4, 20, 7)], { status: 'learning', first_seen: at(now, -4 * day) }),
    profile('7f1c2a9e-0003', 'postgres', 58, night, [src('10.0.1.11', 30, 6, 58)]),
  ];
}
