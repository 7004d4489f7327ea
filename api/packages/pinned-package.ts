import type { Runtime } from './package-spec.ts';

const NPM_PINNED = /^((?:@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*)@(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)$/;
const PYPI_PINNED = /^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?(?:\[[A-Za-z0-9,._-]+\])?)==(\d[0-9A-Za-z.!+_-]*)$/;

/**
 * One package pinned to one exact version: the single place that knows how a pin is written
 * (`name@x.y.z` for npm, `name==x.y.z` for PyPI), how it is launched (npx / uvx, never crossed) and how
 * the API names it (`npm:name@x.y.z`). Admission, the launch-spec gate, the stored deployment and the
 * machine config all go through it.
 */
export class PinnedPackage {
  private constructor(
    readonly runtime: Runtime,
    readonly name: string,
    readonly version: string,
  ) {}

  /** A pin from its parts (an admission verdict, or anything with runtime, name and version). */
  static of(pin: { runtime: Runtime; name: string; version: string }): PinnedPackage {
    return new PinnedPackage(pin.runtime, pin.name, pin.version);
  }

  /** The pin a stored deployment row runs. */
  static ofDeployment(dep: { runtime: Runtime; packageName: string; packageVersion: string }): PinnedPackage {
    return new PinnedPackage(dep.runtime, dep.packageName, dep.packageVersion);
  }

  /** Reads `ref()` back; undefined when `ref` is not pinned to one exact version in `runtime`'s form. */
  static parseRef(runtime: Runtime, ref: string): PinnedPackage | undefined {
    const match = (runtime === 'npm' ? NPM_PINNED : PYPI_PINNED).exec(ref);
    return match ? new PinnedPackage(runtime, match[1]!, match[2]!) : undefined;
  }

  /** The form a pin is written in for `runtime`, for error messages. */
  static refForm(runtime: Runtime): string {
    return runtime === 'npm' ? 'name@x.y.z' : 'name==x.y.z';
  }

  /** `name@x.y.z` (npm) or `name==x.y.z` (PyPI): what npx or uvx is handed. */
  ref(): string {
    return this.runtime === 'npm' ? `${this.name}@${this.version}` : `${this.name}==${this.version}`;
  }

  /** The argv that runs the pin: `npx -y name@x.y.z ...args` or `uvx name==x.y.z ...args`. */
  command(args: readonly string[] = []): string[] {
    return this.runtime === 'npm' ? ['npx', '-y', this.ref(), ...args] : ['uvx', this.ref(), ...args];
  }

  /** The runtime-prefixed name the API shows and audits: `npm:name@x.y.z`, `pypi:name==x.y.z`. */
  label(): string {
    return `${this.runtime}:${this.ref()}`;
  }
}
