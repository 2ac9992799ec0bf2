import { describe, expect, it } from 'vitest';
import {
  allCollapsed,
  allExpanded,
  ancestors,
  buildTree,
  commandLine,
  decodeProcess,
  filterTree,
  isFlagged,
  isOpen,
  isShell,
  matchProcess,
  parseProcesses,
  parseStdio,
  shortContainerId,
  stdioEnds,
  stdioRisk,
  toggle,
  visibleRows,
  type Proc,
  type Stdio,
} from '../src/lib/processes';

type Raw = Record<string, unknown>;

/** proc makes a decoded process from a few fields. */
function proc(pid: number, parent: number | null, over: Raw = {}): Proc {
  const raw: Raw = { entity_id: `e${pid}`, pid, ppid: parent ?? 0, name: `p${pid}`, uid: 0, euid: 0, start: '2026-11-29T09:00:00Z', ...over };
  if (parent !== null && !('parent_entity_id' in over)) raw.parent_entity_id = `e${parent}`;
  const table = parseProcesses({ processes: [raw] });
  expect(table.procs).toHaveLength(1);
  return table.procs[0]!;
}

/** chain makes n processes, each the child of the one before. */
function chain(n: number): Proc[] {
  const raw = Array.from({ length: n }, (_, i) => ({ entity_id: `e${i + 1}`, parent_entity_id: i === 0 ? undefined : `e${i}`, pid: i + 1, ppid: i, name: `p${i + 1}`, uid: 0, euid: 0, start: '' }));
  return parseProcesses({ processes: raw }).procs;
}

/** order lists the pids of the visible rows with their depth. */
function order(procs: Proc[], expansion = allExpanded, query?: string): string[] {
  const tree = buildTree(procs);
  const filter = query === undefined ? undefined : filterTree(tree, query);
  return visibleRows(tree, expansion, filter).map((r) => `${'  '.repeat(r.depth)}${tree.nodes.get(r.key)!.proc.pid}`);
}

describe('stdio', () => {
  it.each<[unknown, number, Partial<Stdio> | null]>([
    ['socket:tcp 10.0.1.11:51234->203.0.113.9:4444', 0, { fd: 0, kind: 'socket', transport: 'tcp', local: '10.0.1.11:51234', remote: '203.0.113.9:4444' }],
    ['socket:tcp [fd00::12]:22 -> [2001:db8::9]:50000', 1, { fd: 1, kind: 'socket', transport: 'tcp', local: '[fd00::12]:22', remote: '[2001:db8::9]:50000' }],
    ['socket:tcp 10.0.0.5:4444', 2, { fd: 2, kind: 'socket', transport: 'tcp', local: '', remote: '10.0.0.5:4444' }],
    ['socket:UDP 10.0.0.5:53', 0, { kind: 'socket', transport: 'udp' }],
    ['socket:unix /run/systemd/journal/stdout', 1, { kind: 'socket', transport: 'unix', remote: '/run/systemd/journal/stdout' }],
    ['socket:[81234]', 0, { kind: 'socket', transport: '' }],
    ['socket', 0, { kind: 'socket', transport: '' }],
    ['pipe', 1, { fd: 1, kind: 'pipe' }],
    ['pipe:[4411]', 2, { fd: 2, kind: 'pipe' }],
    ['/dev/pts/3', 0, { kind: 'tty' }],
    ['2:socket:tcp 1.2.3.4:5->6.7.8.9:10', 0, { fd: 2, kind: 'socket', remote: '6.7.8.9:10' }],
    ['something else', 5, { fd: null, kind: 'other', text: 'something else' }],
    [{ fd: 0, type: 'socket', transport: 'tcp', local: '127.0.0.1:5555', remote: '127.0.0.1:4444' }, 2, { fd: 0, kind: 'socket', transport: 'tcp', remote: '127.0.0.1:4444', text: 'socket:tcp 127.0.0.1:5555->127.0.0.1:4444' }],
    [{ type: 'pipe' }, 1, { fd: 1, kind: 'pipe' }],
    ['', 0, null],
    ['   ', 0, null],
    [null, 0, null],
    [42, 0, null],
  ])('reads %j at %d', (v, pos, want) => {
    const got = parseStdio(v, pos);
    if (want === null) expect(got).toBeNull();
    else expect(got).toMatchObject(want);
  });

  it('shows the ends of a socket', () => {
    expect(stdioEnds(parseStdio('socket:tcp a:1->b:2', 0)!)).toBe('a:1 → b:2');
    expect(stdioEnds(parseStdio('socket:tcp b:2', 0)!)).toBe('b:2');
  });
});

describe('shells and stdio risk', () => {
  it.each([
    ['bash', '/usr/bin/bash', ['bash', '-i'], true],
    ['bash', '', ['-bash'], true],
    ['', '/bin/dash', [], true],
    ['zsh', '/usr/bin/zsh', [], true],
    ['busybox', '/bin/busybox', ['sh'], true],
    ['busybox', '/bin/busybox', ['wget', 'http://x'], false],
    ['python3', '/usr/bin/python3.11', ['python3'], false],
    ['bashful', '/opt/bashful', [], false],
    ['nginx', '/usr/sbin/nginx', ['nginx: worker process'], false],
  ])('%s %s %j is a shell: %s', (name, exe, args, want) => {
    expect(isShell(name, exe, args)).toBe(want);
  });

  const tcp = (i: number) => parseStdio('socket:tcp 10.0.1.11:51234->203.0.113.9:4444', i)!;
  const unix = (i: number) => parseStdio('socket:unix /run/systemd/journal/stdout', i)!;
  it.each<[string, string, string[], Stdio[], string | null]>([
    ['bash', '/usr/bin/bash', ['bash', '-i'], [tcp(0), tcp(1), tcp(2)], 'reverse-shell'],
    ['sh', '/bin/sh', ['sh'], [tcp(0)], 'reverse-shell'],
    ['bash', '/usr/bin/bash', ['bash'], [parseStdio('socket:[1234]', 1)!], 'reverse-shell'],
    ['bash', '/usr/bin/bash', ['bash'], [parseStdio('pipe', 0)!, tcp(2)], 'socket'],
    ['bash', '/usr/bin/bash', ['/usr/local/bin/backup.sh'], [unix(1), unix(2)], null],
    ['bash', '/usr/bin/bash', ['bash'], [parseStdio('pipe', 0)!, parseStdio('pipe', 1)!], null],
    ['python3', '/usr/bin/python3.11', ['python3', '-c', 'x'], [tcp(0), tcp(1)], 'interpreter-socket'],
    ['perl', '/usr/bin/perl', ['perl'], [tcp(0)], 'interpreter-socket'],
    ['sshd', '/usr/sbin/sshd', ['sshd'], [tcp(0)], 'socket'],
    ['nginx', '/usr/sbin/nginx', ['nginx'], [], null],
  ])('%s %j with %#', (name, exe, args, stdio, want) => {
    expect(stdioRisk(name, exe, args, stdio)).toBe(want);
  });

  it('flags the process and its privilege change when decoding', () => {
    const p = proc(7, 1, { name: 'bash', executable: '/usr/bin/bash', args: ['bash', '-i'], stdio: ['socket:tcp a:1->b:2', 'socket:tcp a:1->b:2', ''] });
    expect(p.risk).toBe('reverse-shell');
    expect(p.stdio.map((s) => s.fd)).toEqual([0, 1]);
    expect(proc(8, 1, { uid: 1000, euid: 0 }).privilegeChange).toBe(true);
    expect(proc(9, 1, { uid: 1000, euid: 1000 }).privilegeChange).toBe(false);
    expect(proc(10, 1, { uid: undefined, euid: 0 }).privilegeChange).toBe(false);
    expect([p, proc(8, 1, { uid: 1000, euid: 0 }), proc(9, 1, { uid: 1000, euid: 1000 })].map(isFlagged)).toEqual([true, true, false]);
  });
});

describe('command lines', () => {
  it.each([
    [['nginx', '-g', 'daemon off;'], "nginx -g 'daemon off;'"],
    [['sh', '-c', "echo 'hi'"], `sh -c 'echo '\\''hi'\\'''`],
    [['ls', ''], "ls ''"],
    [['/usr/bin/env', 'A=1', 'x,y', 'user@host:/p'], '/usr/bin/env A=1 x,y user@host:/p'],
    [['sshd: alice [priv]'], 'sshd: alice [priv]'],
    [[], ''],
  ])('%j -> %s', (args, want) => {
    expect(commandLine(args)).toBe(want);
  });

  it('falls back to the executable, and the name to the executable or argv[0]', () => {
    expect(proc(5, 1, { name: '', executable: '/usr/sbin/cron', args: [] })).toMatchObject({ name: 'cron', commandLine: '/usr/sbin/cron' });
    expect(proc(6, 1, { name: '', executable: '', args: ['/opt/x/worker', '-v'] })).toMatchObject({ name: 'worker', commandLine: '/opt/x/worker -v' });
  });
});

describe('parseProcesses', () => {
  it('keeps processes, counts what is not one, and reads numbers given as text', () => {
    const t = parseProcesses({
      taken_at: '2026-11-29T10:00:00Z',
      mechanism: 'ebpf',
      processes: [
        { entity_id: 'a', pid: 1, ppid: 0, name: 'systemd', uid: 0, euid: 0, start: 's' },
        { entity_id: 'b', pid: '812', ppid: '1', parent_entity_id: 'a', name: 'nginx', uid: '33', euid: 33, start: 's', args: ['nginx', 7] },
        { entity_id: 'a', pid: 2, name: 'dup' },
        { pid: 'x' },
        { name: 'no pid' },
        'text',
        null,
        [1, 2],
        { entity_id: '', pid: 9, name: 'no id', start: '2026' },
      ],
    });
    expect(t.takenAt).toBe('2026-11-29T10:00:00Z');
    expect(t.mechanism).toBe('ebpf');
    expect(t.procs.map((p) => p.key)).toEqual(['a', 'b', 'pid:9:2026']);
    expect(t.procs[1]).toMatchObject({ pid: 812, ppid: 1, uid: 33, euid: 33, args: ['nginx', '7'] });
    expect(t.skipped).toBe(6);
  });

  it.each([undefined, null, 'x', [], {}, { processes: null }, { processes: 'x' }])('reads %j as an empty table', (out) => {
    expect(parseProcesses(out)).toMatchObject({ procs: [], skipped: 0 });
  });

  it('decodes nothing from what is not a process', () => {
    expect(decodeProcess({ pid: -1 })).toBeNull();
    expect(decodeProcess({ pid: 1.5 })).toBeNull();
  });
});

describe('process tree', () => {
  it('makes roots of processes whose parent is not listed, children ordered by pid', () => {
    const procs = [proc(1, null), proc(30, 1), proc(20, 1), proc(21, 20), proc(500, 499), proc(2, null), proc(3, 2)];
    expect(order(procs)).toEqual(['1', '  20', '    21', '  30', '2', '  3', '500']);
    const tree = buildTree(procs);
    expect(tree.roots.map((k) => tree.nodes.get(k)!.proc.pid)).toEqual([1, 2, 500]);
    expect(ancestors(tree, 'e21')).toEqual(['e20', 'e1']);
  });

  it('links by ppid only when there is no parent id and the pid is unique', () => {
    const byPpid = [proc(1, null), proc(40, null, { ppid: 1 })];
    expect(order(byPpid)).toEqual(['1', '  40']);
    // Two processes claim pid 7 (a reused pid seen twice): ppid 7 is ambiguous.
    const ambiguous = [proc(7, null), proc(7, null, { entity_id: 'e7b', start: '2026-11-29T09:30:00Z' }), proc(8, null, { ppid: 7 })];
    expect(order(ambiguous)).toEqual(['7', '7', '8']);
    // A parent id that is not listed is not replaced by the ppid.
    expect(order([proc(1, null), proc(41, null, { ppid: 1, parent_entity_id: 'gone' })])).toEqual(['1', '41']);
  });

  it('treats a process that is its own parent as a root', () => {
    expect(order([proc(5, null, { parent_entity_id: 'e5', ppid: 5 })])).toEqual(['5']);
  });

  it.each([
    ['two processes', [proc(1, 2), proc(2, 1)]],
    ['three processes', [proc(1, 3), proc(2, 1), proc(3, 2)]],
    ['a loop with a branch and a sound tree beside it', [proc(1, 3), proc(2, 1), proc(3, 2), proc(4, 2), proc(5, 4), proc(10, null), proc(11, 10)]],
    ['two loops', [proc(1, 2), proc(2, 1), proc(3, 4), proc(4, 3)]],
  ])('breaks parent loops (%s): every process shown once', (_, procs) => {
    const tree = buildTree(procs);
    const rows = visibleRows(tree, allExpanded);
    expect(rows.map((r) => r.key).sort()).toEqual(procs.map((p) => p.key).sort());
    expect([...tree.nodes.values()].some((n) => n.cycle)).toBe(true);
    for (const r of rows) expect(ancestors(tree, r.key).length).toBe(r.depth);
    expect(filterTree(tree, 'p').matched.size).toBe(procs.length);
  });

  it('handles a very deep chain without recursion', () => {
    const procs = chain(20_000);
    const tree = buildTree(procs);
    const rows = visibleRows(tree, allExpanded);
    expect(rows).toHaveLength(20_000);
    expect(rows.at(-1)!.depth).toBe(19_999);
    expect(filterTree(tree, '20000').keep.size).toBe(20_000);
  });
});

describe('expansion', () => {
  const procs = [proc(1, null), proc(10, 1), proc(11, 10), proc(20, 1), proc(21, 20)];

  it('hides the children of a closed process', () => {
    const closed = toggle(allExpanded, 'e10');
    expect(isOpen(closed, 'e10')).toBe(false);
    expect(order(procs, closed)).toEqual(['1', '  10', '  20', '    21']);
    expect(order(procs, toggle(closed, 'e10'))).toEqual(['1', '  10', '    11', '  20', '    21']);
  });

  it('collapses all and opens one', () => {
    expect(order(procs, allCollapsed)).toEqual(['1']);
    expect(order(procs, toggle(allCollapsed, 'e1'))).toEqual(['1', '  10', '  20']);
  });

  it('is kept by key across a refresh that changes the table', () => {
    const state = toggle(allExpanded, 'e20');
    const refreshed = [...procs, proc(12, 10), proc(22, 20), proc(30, 1)];
    expect(order(refreshed, state)).toEqual(['1', '  10', '    11', '    12', '  20', '  30']);
  });

  it('tells the rows how many children they hide', () => {
    const tree = buildTree(procs);
    const rows = visibleRows(tree, toggle(allExpanded, 'e10'));
    expect(rows.find((r) => r.key === 'e10')).toMatchObject({ childCount: 1, open: false, forced: false });
  });
});

describe('filter', () => {
  const procs = [
    proc(1, null, { name: 'systemd' }),
    proc(811, 1, { name: 'sshd', args: ['sshd: alice [priv]'] }),
    proc(900, 811, { name: 'bash', user: 'alice', args: ['-bash'] }),
    proc(901, 900, { name: 'vim', user: 'alice', args: ['vim', '/etc/hosts'] }),
    proc(1180, 1, { name: 'nginx', user: 'root', args: ['nginx: master process'], container_id: 'abcdef0123456789' }),
    proc(1181, 1180, { name: 'nginx', user: 'www-data', args: ['nginx: worker process'] }),
  ];

  it('keeps the matches and their ancestors, not their other descendants', () => {
    expect(order(procs, allExpanded, 'BASH')).toEqual(['1', '  811', '    900']);
    const tree = buildTree(procs);
    const f = filterTree(tree, 'bash');
    expect([...f.matched]).toEqual(['e900']);
    expect(visibleRows(tree, allCollapsed, f).map((r) => [r.key, r.context, r.open, r.forced])).toEqual([
      ['e1', true, true, true],
      ['e811', true, true, true],
      ['e900', false, true, true],
    ]);
  });

  it('opens the path to a match whatever was closed', () => {
    expect(order(procs, toggle(allExpanded, 'e811'), 'vim')).toEqual(['1', '  811', '    900', '      901']);
  });

  it.each([
    ['811', ['e811']],
    ['81', []],
    ['www', ['e1181']],
    ['alice', ['e811', 'e900', 'e901']],
    ['/etc/hosts', ['e901']],
    ['abcdef', ['e1180']],
    ['worker process', ['e1181']],
    ['  nginx  ', ['e1180', 'e1181']],
    ['nothing-like-this', []],
  ])('%j matches %j', (q, want) => {
    const tree = buildTree(procs);
    expect([...filterTree(tree, q).matched].sort()).toEqual(want.sort());
  });

  it('takes an extra condition', () => {
    const tree = buildTree(procs);
    expect([...filterTree(tree, '', (p) => p.user === 'alice').keep].sort()).toEqual(['e1', 'e811', 'e900', 'e901']);
  });

  it('matches everything when empty', () => {
    expect(procs.every((p) => matchProcess(p, ' '))).toBe(true);
  });
});

describe('container ids', () => {
  it.each([
    ['3f2a9c41d7e8b6a5c4d3e2f1a0b9c8d7', '3f2a9c41d7e8'],
    ['docker://3f2a9c41d7e8b6a5c4d3', '3f2a9c41d7e8'],
    ['short', 'short'],
  ])('%s -> %s', (id, want) => {
    expect(shortContainerId(id)).toBe(want);
  });
});

describe('filter on a deep chain', () => {
  it('keeps every ancestor once when every process matches', () => {
    const procs = chain(20_000);
    const f = filterTree(buildTree(procs), 'p');
    expect(f.matched.size).toBe(20_000);
    expect(f.keep.size).toBe(20_000);
  });
});
