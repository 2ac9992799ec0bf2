// The command line that installs an agent with a join token.

/** The agent's data directory in the command the console shows. */
export const agentDataDir = '/var/lib/vigil-agent';

/** shellQuote leaves plain words alone and single-quotes anything else for a POSIX shell. */
export function shellQuote(s: string): string {
  if (s !== '' && /^[A-Za-z0-9._:/@%+=,-]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** installCommand is the agent's first-run command line for a center URL and a join token. */
export function installCommand(center: string, token: string): string {
  return `vigil-agent --center ${shellQuote(center)} --token ${shellQuote(token)} --data ${agentDataDir}`;
}
