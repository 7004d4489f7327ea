import { fileURLToPath } from 'node:url';
import type { RuntimeEntry, SandboxTools } from './detect.ts';

/** Paths inside every sandbox. */
export const SANDBOX_HOME = '/home/mcp';
export const SANDBOX_TMP = '/tmp';
export const SANDBOX_NPM_CACHE = '/home/mcp/.npm';
const SANDBOX_INIT = '/.hangar/init.mjs';

export const HOST_INIT_FILE = fileURLToPath(new URL('./host-init.mjs', import.meta.url));
export const SANDBOX_INIT_FILE = fileURLToPath(new URL('./sandbox-init.mjs', import.meta.url));

/** Limits applied with prlimit before the uid change (RLIMIT_NPROC then counts the deployment's own uid). */
export interface SandboxLimits {
  /** Address space in bytes (RLIMIT_AS). Node reserves a lot of virtual memory: keep it at 2 GiB or more. */
  addressSpaceBytes?: number;
  /** Processes and threads of the deployment's uid (RLIMIT_NPROC; per uid, so only meaningful as root). */
  processes?: number;
  /** CPU seconds per process (RLIMIT_CPU). Unset by default: a long-lived server accumulates CPU time. */
  cpuSeconds?: number;
  /** Open files per process (RLIMIT_NOFILE). */
  openFiles?: number;
}

export const DEFAULT_LIMITS: SandboxLimits = { addressSpaceBytes: 4 * 1024 ** 3, processes: 256, openFiles: 4096 };

export interface SandboxCommandOptions {
  tools: SandboxTools;
  runtime: RuntimeEntry[];
  /** The deployment's own directories on the host: bound writable as HOME and /tmp. */
  homeDir: string;
  tmpDir: string;
  /** Host uid/gid for this deployment (used when tools.setpriv is set, i.e. as root). */
  uid: number;
  gid: number;
  limits: SandboxLimits;
  /** The node that runs the init scripts (inside the sandbox it must be bound: see runtimeEntries). */
  nodePath: string;
  /** The MCP server command, run inside. */
  command: string[];
}

/**
 * The full command for one sandboxed MCP server:
 * `node host-init.mjs [prlimit …] [setpriv --reuid U --regid U --clear-groups …] bwrap … -- node init.mjs <command>`.
 * The environment is whatever the caller gives the process (bwrap passes it through; values never appear on
 * a command line, where other host users could read them).
 */
export function sandboxCommand(options: SandboxCommandOptions): string[] {
  const { tools, limits } = options;
  const out: string[] = [options.nodePath, HOST_INIT_FILE];
  if (tools.prlimit) {
    const flags = [
      limits.addressSpaceBytes ? `--as=${limits.addressSpaceBytes}` : '',
      limits.processes && tools.setpriv ? `--nproc=${limits.processes}` : '',
      limits.cpuSeconds ? `--cpu=${limits.cpuSeconds}` : '',
      limits.openFiles ? `--nofile=${limits.openFiles}` : '',
    ].filter(Boolean);
    if (flags.length > 0) out.push(tools.prlimit, ...flags, '--');
  }
  if (tools.setpriv) {
    out.push(tools.setpriv, `--reuid=${options.uid}`, `--regid=${options.gid}`, '--clear-groups', '--inh-caps=-all', '--bounding-set=-all', '--pdeathsig=SIGKILL', '--');
  }
  out.push(tools.bwrap, '--unshare-user', '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try');
  out.push('--hostname', 'sandbox', '--die-with-parent', '--new-session', '--as-pid-1', '--cap-drop', 'ALL', '--info-fd', '3');
  for (const entry of options.runtime) {
    if (entry.kind === 'bind') out.push('--ro-bind', entry.source, entry.target);
    else out.push('--symlink', entry.target, entry.link);
  }
  out.push('--proc', '/proc', '--dev', '/dev');
  out.push('--bind', options.homeDir, SANDBOX_HOME, '--bind', options.tmpDir, SANDBOX_TMP);
  out.push('--ro-bind', SANDBOX_INIT_FILE, SANDBOX_INIT, '--chdir', SANDBOX_HOME);
  out.push('--', options.nodePath, SANDBOX_INIT, ...options.command);
  return out;
}

/** Host uids for deployments: a high range no system account uses; never 0, never the API's own uid. */
export const UID_BASE = 2_000_000;
export const UID_RANGE = 1_000_000;

/** A uid for `key` (a deployment id), derived from it and moved on while `inUse` has it. */
export function allocateUid(key: string, inUse: Set<number>): number {
  let hash = 0;
  for (const char of key) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  let uid = UID_BASE + (hash % UID_RANGE);
  while (inUse.has(uid) || uid === process.getuid?.()) uid = UID_BASE + ((uid - UID_BASE + 1) % UID_RANGE);
  return uid;
}
