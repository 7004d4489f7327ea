import { isLoopbackHost } from '../../config/config.ts';

/** The one line local mode prints at start when it has no sandbox. */
export const NO_SANDBOX_HINT =
  'no sandbox: bwrap (bubblewrap) is not on PATH, so deployments run as Hangar\'s own OS user and can read its data; ' +
  'local mode therefore listens on loopback only and accepts only its first account. Install the sandbox with `apt-get install bubblewrap` and restart.';

export class UnsandboxedPublicHostError extends Error {
  readonly code = 'unsandboxed_public_host';
  constructor(host: string) {
    super(
      `HOST: local mode without the sandbox must listen on loopback only (got "${host}"): every deployment would run as ` +
        'Hangar\'s own user and anyone who can reach it could read Hangar\'s keys. Install bubblewrap (`apt-get install bubblewrap`), ' +
        'or unset HOST / use HOST=127.0.0.1.',
    );
  }
}

export interface StartPolicy {
  /** The address to bind (forced to 127.0.0.1 when HOST was not given and there is no sandbox). */
  host: string;
  /** Sign-ups close after the first account (no sandbox: one person's laptop). */
  singleAccount: boolean;
  /** Print NO_SANDBOX_HINT once. */
  warnNoSandbox: boolean;
}

/**
 * Start-up rules of local mode (the local machine driver): with the sandbox, nothing changes. Without it,
 * Hangar listens on loopback only and serves only its first account; an explicit non-loopback HOST throws
 * UnsandboxedPublicHostError (main.ts exits non-zero). Fly mode is untouched (machines are Fly VMs).
 */
export function localStartPolicy(input: { driver: 'local' | 'fly'; sandboxed: boolean; host: string; hostGiven: boolean }): StartPolicy {
  if (input.driver !== 'local' || input.sandboxed) return { host: input.host, singleAccount: false, warnNoSandbox: false };
  if (input.hostGiven && !isLoopbackHost(input.host)) throw new UnsandboxedPublicHostError(input.host);
  return { host: input.hostGiven ? input.host : '127.0.0.1', singleAccount: true, warnNoSandbox: true };
}
