import { accessSync, constants, existsSync, lstatSync, realpathSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';

/** The programs the sandbox needs, found on PATH. */
export interface SandboxTools {
  bwrap: string;
  /** Present when Hangar runs as root: drops each deployment to a host uid of its own before bwrap. */
  setpriv: string | undefined;
  /** Resource limits (memory, processes, CPU time); the sandbox still works without it. */
  prlimit: string | undefined;
}

/** The first executable `name` on `path`, or undefined. */
export function findExecutable(name: string, path: string | undefined): string | undefined {
  for (const dir of (path ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * The sandbox's tools on `path` (the API's PATH), or undefined when `bwrap` is missing. As root, `setpriv`
 * is required too (without it every deployment would share root's uid), so a root host without it has no
 * sandbox either.
 */
export function detectSandbox(path: string | undefined, isRoot = process.getuid?.() === 0): SandboxTools | undefined {
  const bwrap = findExecutable('bwrap', path);
  if (!bwrap) return undefined;
  const setpriv = findExecutable('setpriv', path);
  if (isRoot && !setpriv) return undefined;
  return { bwrap, setpriv: isRoot ? setpriv : undefined, prlimit: findExecutable('prlimit', path) };
}

/** One read-only bind, or a symlink when the host's path is one (Debian's merged /usr: /bin -> usr/bin). */
export type RuntimeEntry = { kind: 'bind'; source: string; target: string } | { kind: 'symlink'; link: string; target: string };

const RUNTIME_PATHS = ['/usr', '/bin', '/sbin', '/lib', '/lib64', '/lib32', '/libx32', '/opt/hangar-runtime'];
const ETC_FILES = ['/etc/ssl', '/etc/ca-certificates', '/etc/resolv.conf', '/etc/hosts', '/etc/nsswitch.conf', '/etc/host.conf', '/etc/gai.conf', '/etc/npmrc', '/etc/alternatives', '/etc/localtime'];

/**
 * The read-only runtime every sandbox sees: /usr and the top-level program and library directories (as
 * symlinks where the host has symlinks), CA certificates, DNS configuration (a symlinked resolv.conf is bound
 * from its real file, or npx hangs), npm's global config, and the install prefix of every given program
 * (node, npm, npx, uvx, python) that lives outside /usr.
 */
export function runtimeEntries(programs: string[]): RuntimeEntry[] {
  const entries: RuntimeEntry[] = [];
  for (const path of [...RUNTIME_PATHS, ...ETC_FILES]) {
    if (!existsSync(path)) continue;
    const stat = lstatSync(path);
    if (stat.isSymbolicLink() && !path.startsWith('/etc/')) {
      entries.push({ kind: 'symlink', link: path, target: realpathSync(path).replace(/^\//, '') });
    } else {
      entries.push({ kind: 'bind', source: realpathSync(path), target: path });
    }
  }
  const covered = (path: string) => entries.some((e) => e.kind === 'bind' && (path === e.target || path.startsWith(`${e.target}/`)));
  for (const program of programs) {
    if (!existsSync(program)) continue;
    const real = realpathSync(program);
    // <prefix>/bin/node -> bind <prefix> (its lib/node_modules holds npm and npx).
    const prefix = dirname(dirname(real));
    if (!covered(real) && prefix !== '/') entries.push({ kind: 'bind', source: prefix, target: prefix });
  }
  return entries;
}
