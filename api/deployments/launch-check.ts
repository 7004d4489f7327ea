import { blockedEnvName } from '../launch-spec/env-rules.ts';
import { checkUrl, systemResolver } from '../launch-spec/url-rules.ts';
import { LaunchSpecError, validateLaunchSpec, type HostResolver, type LaunchIssue } from '../launch-spec/validate-launch-spec.ts';
import { PinnedPackage } from '../packages/pinned-package.ts';

/**
 * What a deployment launches: the admitted pin (its command is `pinned.command()`), the server's args,
 * its plain environment and the names of its secret variables. The one input every caller builds the
 * same way: the API on create/update, template deploys, and the reconciler before a machine is made.
 */
export interface LaunchToCheck {
  pinned: { runtime: 'npm' | 'pypi'; name: string; version: string };
  args: string[];
  env: Record<string, string>;
  secretNames: string[];
}

/** The launch-spec gate, run at the API and again by the reconciler right before a machine is made. */
export interface LaunchChecker {
  /** Throws a 422 LaunchSpecError naming every field and rule that failed. */
  check(launch: LaunchToCheck): Promise<void>;
  /** The URL rules alone (https only, no internal host before or after DNS), for values keyed by field path. */
  checkUrls(urls: Record<string, string>): Promise<LaunchIssue[]>;
}

/**
 * Checks the whole command line as the machine will run it (`npx -y pkg@x.y.z <args>`), the environment,
 * and the names of secret variables. Issue paths point at the request's fields (`args[0]` is the first
 * server argument, not the `npx` flag before it).
 */
export function createLaunchChecker(resolveHost: HostResolver = systemResolver): LaunchChecker {
  return {
    async check(launch) {
      const [command = '', ...prefix] = PinnedPackage.of(launch.pinned).command();
      const result = await validateLaunchSpec(
        { command, args: [...prefix, ...launch.args], env: launch.env },
        { resolveHost, pinned: launch.pinned },
      );
      const issues: LaunchIssue[] = result.ok
        ? []
        : result.issues.map((issue) => {
            const m = /^args\[(\d+)\]$/.exec(issue.path);
            if (!m) return issue;
            const index = Number(m[1]) - prefix.length;
            return { ...issue, path: index >= 0 ? `args[${index}]` : 'package' };
          });
      for (const name of launch.secretNames) {
        const blocked = blockedEnvName(name);
        if (blocked) issues.push({ path: `secrets.${name}`, ...blocked });
      }
      if (issues.length > 0) throw new LaunchSpecError(issues);
    },
    async checkUrls(urls) {
      return (await Promise.all(Object.entries(urls).map(([path, url]) => checkUrl(path, url, resolveHost)))).flat();
    },
  };
}
