import type { PackageRequest, Runtime } from './package-spec.ts';
import type { ResolvedRelease } from './verdict.ts';

/**
 * One package registry (npm, PyPI). `resolve` pins a request to one exact published release and reports
 * the facts admission judges. It throws PackageNotFoundError (422) when the registry says the package or
 * version does not exist and RegistryUnavailableError (503) when the registry cannot answer.
 */
export interface PackageRegistry {
  readonly runtime: Runtime;
  resolve(request: PackageRequest): Promise<ResolvedRelease>;
}
