import type { Db } from '../db/pool.ts';
import { PolicyError, ValidationError } from '../http/errors.ts';
import type { Clock } from '../platform/clock.ts';
import type { Logger } from '../platform/logger.ts';
import { createNpmRegistry } from './npm-registry.ts';
import { createCachedLoader, createPostgresCacheStore, type PackageCacheStore } from './package-cache.ts';
import { readPackageSpec, type PackageRequest, type Runtime } from './package-spec.ts';
import { PinnedPackage } from './pinned-package.ts';
import { createPypiRegistry } from './pypi-registry.ts';
import type { RegistryCallOptions } from './registry-fetch.ts';
import type { PackageRegistry } from './registry.ts';
import { findTyposquatTarget, loadWellKnownPackages, type WellKnownPackages } from './typosquat.ts';
import { AdmissionPolicySchema, type AdmissionPolicy, type Flag, type ResolvedRelease, type Verdict } from './verdict.ts';

/** Versions younger than this are always flagged (warn); the policy may reject younger ones. */
export const YOUNG_RELEASE_HOURS = 72;

/** Package admission: the one service both `POST /v1/packages/validate` and deployments call. */
export interface Admission {
  /** Resolves and judges a package; the verdict says ok or why not. Throws 422 for a missing package, 503 for a registry outage. */
  validatePackage(spec: string | PackageRequest, policy?: Partial<AdmissionPolicy>): Promise<Verdict>;
  /** As validatePackage, but a rejected verdict is thrown as a 422 PolicyError (for deployments). */
  admitPackage(spec: string | PackageRequest, policy?: Partial<AdmissionPolicy>): Promise<Verdict>;
}

function policyFlags(release: ResolvedRelease, policy: AdmissionPolicy, now: Date, wellKnown: WellKnownPackages): Flag[] {
  const flags: Flag[] = release.rejections.map((r) => ({ ...r, severity: 'reject' as const }));
  const label = `${release.name}@${release.version}`;
  if (release.installScripts.length > 0) {
    flags.push({
      code: 'install_scripts',
      severity: policy.rejectInstallScripts ? 'reject' : 'warn',
      message: `${label} runs install scripts (${release.installScripts.join(', ')})`,
    });
  }
  if (release.publishedAt) {
    const ageHours = (now.getTime() - release.publishedAt.getTime()) / 3_600_000;
    if (ageHours < Math.max(YOUNG_RELEASE_HOURS, policy.rejectYoungerThanHours)) {
      flags.push({
        code: 'recently_published',
        severity: ageHours < policy.rejectYoungerThanHours ? 'reject' : 'warn',
        message: `${label} was published ${Math.max(0, Math.floor(ageHours))} h ago (under ${Math.max(YOUNG_RELEASE_HOURS, policy.rejectYoungerThanHours)} h)`,
      });
    }
  }
  const target = findTyposquatTarget(release.name, wellKnown[release.runtime]);
  if (target) {
    flags.push({
      code: 'possible_typosquat',
      severity: policy.rejectTyposquats ? 'reject' : 'warn',
      message: `"${release.name}" looks like the well-known package "${target}"`,
    });
  }
  return flags;
}

/** The admission logic over any registries (tests and benchmarks hand in their own). */
export function createAdmissionService(deps: { registries: Record<Runtime, PackageRegistry>; clock: Clock; wellKnown: WellKnownPackages }): Admission {
  async function validatePackage(spec: string | PackageRequest, policyInput: Partial<AdmissionPolicy> = {}): Promise<Verdict> {
    const request = typeof spec === 'string' ? readPackageSpec(spec) : spec;
    if (typeof request === 'string') throw new ValidationError(`Invalid package: ${request}`, [{ path: 'package', message: request }]);
    const parsed = AdmissionPolicySchema.safeParse(policyInput);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => ({ path: ['policy', ...i.path].join('.'), message: i.message }));
      throw new ValidationError(`Invalid policy: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
    }
    const policy = parsed.data;
    const release = await deps.registries[request.runtime].resolve(request);
    const flags = policyFlags(release, policy, deps.clock.now(), deps.wellKnown);
    const firstReject = flags.find((f) => f.severity === 'reject');
    return {
      ok: firstReject === undefined,
      runtime: release.runtime,
      name: release.name,
      version: release.version,
      ...(release.integrity ? { integrity: release.integrity } : {}),
      ...(release.sha256 ? { sha256: release.sha256 } : {}),
      ...(release.tarball ? { tarball: release.tarball } : {}),
      command: PinnedPackage.of(release).command(),
      flags,
      ...(firstReject ? { rejected: { code: firstReject.code, message: firstReject.message } } : {}),
    };
  }
  return {
    validatePackage,
    async admitPackage(spec, policy) {
      const verdict = await validatePackage(spec, policy);
      if (verdict.rejected) throw new PolicyError(verdict.rejected.message, verdict.rejected.code, { verdict });
      return verdict;
    },
  };
}

export interface AdmissionDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  npmRegistryUrl: string;
  pypiBaseUrl: string;
  /** The Python the runner image ships (e.g. "3.12"), checked against requires_python. */
  runnerPythonVersion: string;
  /** How long registry answers stay in `package_cache` (default 5 minutes). */
  cacheTtlMs?: number;
  /** Override the PostgreSQL cache store (benchmarks measure both). */
  store?: PackageCacheStore;
  call?: RegistryCallOptions;
  wellKnown?: WellKnownPackages;
}

/** Builds admission with the npm and PyPI registries over one shared PostgreSQL cache with single-flight. */
export function createAdmission(deps: AdmissionDeps): Admission {
  const loader = createCachedLoader({ store: deps.store ?? createPostgresCacheStore(deps.db), clock: deps.clock, logger: deps.logger });
  const common = { loader, logger: deps.logger, ttlMs: deps.cacheTtlMs, call: deps.call };
  return createAdmissionService({
    clock: deps.clock,
    wellKnown: deps.wellKnown ?? loadWellKnownPackages(),
    registries: {
      npm: createNpmRegistry({ ...common, registryUrl: deps.npmRegistryUrl }),
      pypi: createPypiRegistry({ ...common, baseUrl: deps.pypiBaseUrl, runnerPython: deps.runnerPythonVersion }),
    },
  });
}
