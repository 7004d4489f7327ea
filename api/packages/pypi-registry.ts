import { FetchError, ofetch } from 'ofetch';
import { z } from 'zod';
import type { Logger } from '../platform/logger.ts';
import type { CachedLoader } from './package-cache.ts';
import { normalizePypiName, type PackageRequest } from './package-spec.ts';
import { comparePep440, isPrerelease, parsePep440, parseSpecifierSet, satisfiesSpecifiers, specifiersAllowPrerelease, type Pep440Version } from './pep440.ts';
import { PackageNotFoundError, RegistryHttpError } from './registry-errors.ts';
import { cacheTtlFor, callRegistry, classifyNetworkError, classifyStatus, DEFAULT_REGISTRY_CALL, type RegistryCallOptions } from './registry-fetch.ts';
import type { PackageRegistry } from './registry.ts';
import type { ResolvedRelease } from './verdict.ts';
import { isPureWheel, wheelFitsRunner } from './wheel-tags.ts';

/** One distribution file as the PyPI JSON API lists it. */
const FileSchema = z.looseObject({
  filename: z.string(),
  packagetype: z.string(),
  digests: z.looseObject({ sha256: z.string().regex(/^[a-f0-9]{64}$/) }),
  requires_python: z.string().nullish(),
  yanked: z.boolean().default(false),
  yanked_reason: z.string().nullish(),
  upload_time_iso_8601: z.string().nullish(),
  url: z.string(),
});
const InfoSchema = z.looseObject({
  name: z.string(),
  version: z.string(),
  requires_python: z.string().nullish(),
  yanked: z.boolean().default(false),
  yanked_reason: z.string().nullish(),
});
const ProjectSchema = z.looseObject({ info: InfoSchema, releases: z.record(z.string(), z.array(FileSchema)).default({}) });
const ReleaseSchema = z.looseObject({ info: InfoSchema, urls: z.array(FileSchema) });

const TrimmedProjectSchema = z.discriminatedUnion('found', [
  z.object({ found: z.literal(false) }),
  z.object({ found: z.literal(true), name: z.string(), releases: z.record(z.string(), z.object({ yanked: z.boolean() })) }),
]);
const TrimmedFileSchema = z.object({ filename: z.string(), wheel: z.boolean(), sha256: z.string(), url: z.string(), uploadedAt: z.string().optional() });
const TrimmedReleaseSchema = z.discriminatedUnion('found', [
  z.object({ found: z.literal(false) }),
  z.object({
    found: z.literal(true),
    requiresPython: z.string().optional(),
    yanked: z.boolean(),
    yankedReason: z.string().optional(),
    files: z.array(TrimmedFileSchema),
  }),
]);

function notFound(error: unknown): boolean {
  return error instanceof FetchError && error.statusCode === 404;
}

/** Chooses the newest release matching `range` (PEP 440); yanked ones only when pinned with ==/=== (PEP 592). */
function pickRelease(releases: Record<string, { yanked: boolean }>, range: string | undefined): string | undefined {
  const specs = range ? parseSpecifierSet(range) ?? [] : [];
  const pinned = specs.length === 1 && (specs[0]!.op === '===' || (specs[0]!.op === '==' && !specs[0]!.wildcard));
  const allowPre = specifiersAllowPrerelease(specs);
  let best: Pep440Version | undefined;
  for (const [text, release] of Object.entries(releases)) {
    const version = parsePep440(text);
    if (!version || (release.yanked && !pinned) || (isPrerelease(version) && !allowPre && !pinned)) continue;
    if (!satisfiesSpecifiers(version, specs)) continue;
    if (!best || comparePep440(version, best) > 0) best = version;
  }
  return best?.text;
}

/**
 * PyPI through its JSON API (`/pypi/{name}/json` to resolve, `/pypi/{name}/{version}/json` for the
 * release), with the shared cache, a timeout and retries. Rejects yanked releases, sdist-only releases,
 * releases without a wheel for the runner, and releases whose requires_python excludes the runner's Python.
 */
export function createPypiRegistry(deps: {
  baseUrl: string;
  runnerPython: string;
  loader: CachedLoader;
  logger: Logger;
  ttlMs?: number;
  call?: RegistryCallOptions;
}): PackageRegistry {
  const call = deps.call ?? DEFAULT_REGISTRY_CALL;
  const ttlMs = cacheTtlFor(deps.ttlMs);
  const python = parsePep440(deps.runnerPython);
  if (!python) throw new Error(`runner Python version "${deps.runnerPython}" is not a PEP 440 version`);

  async function getJson<T>(path: string, schema: z.ZodType<T>): Promise<T | undefined> {
    return callRegistry('pypi', path, async () => {
      let raw: unknown;
      try {
        raw = await ofetch(path, { baseURL: deps.baseUrl, timeout: call.timeoutMs, retry: 0, responseType: 'json' });
      } catch (error) {
        if (notFound(error)) return undefined;
        if (error instanceof FetchError && typeof error.statusCode === 'number') throw classifyStatus(error.statusCode);
        throw classifyNetworkError(error instanceof FetchError ? (error.cause ?? error) : error, call.timeoutMs);
      }
      const parsed = schema.safeParse(raw);
      if (!parsed.success) throw new RegistryHttpError(200, false, 'malformed JSON API answer');
      return parsed.data;
    }, call, deps.logger);
  }

  async function loadProject(name: string) {
    const body = await deps.loader.load(`pypi:project:${name}`, ttlMs, async () => {
      const doc = await getJson(`/pypi/${encodeURIComponent(name)}/json`, ProjectSchema);
      if (!doc) return { found: false };
      const releases: Record<string, { yanked: boolean }> = {};
      for (const [version, files] of Object.entries(doc.releases)) {
        if (files.length > 0) releases[version] = { yanked: files.every((f) => f.yanked) };
      }
      return { found: true, name: normalizePypiName(doc.info.name), releases };
    });
    return TrimmedProjectSchema.parse(body);
  }

  async function loadRelease(name: string, version: string) {
    const body = await deps.loader.load(`pypi:release:${name}:${version}`, ttlMs, async () => {
      const doc = await getJson(`/pypi/${encodeURIComponent(name)}/${encodeURIComponent(version)}/json`, ReleaseSchema);
      if (!doc) return { found: false };
      const yankedReason = doc.info.yanked_reason ?? doc.urls.find((f) => f.yanked_reason)?.yanked_reason ?? undefined;
      return {
        found: true,
        requiresPython: doc.info.requires_python || doc.urls.find((f) => f.requires_python)?.requires_python || undefined,
        yanked: doc.info.yanked || (doc.urls.length > 0 && doc.urls.every((f) => f.yanked)),
        ...(yankedReason ? { yankedReason } : {}),
        files: doc.urls.map((f) => ({
          filename: f.filename,
          wheel: f.packagetype === 'bdist_wheel',
          sha256: f.digests.sha256,
          url: f.url,
          ...(f.upload_time_iso_8601 ? { uploadedAt: f.upload_time_iso_8601 } : {}),
        })),
      };
    });
    return TrimmedReleaseSchema.parse(body);
  }

  return {
    runtime: 'pypi',
    async resolve(request: PackageRequest): Promise<ResolvedRelease> {
      const name = normalizePypiName(request.name);
      const project = await loadProject(name);
      if (!project.found) throw new PackageNotFoundError(`PyPI project "${name}" not found`);
      const version = pickRelease(project.releases, request.range);
      if (!version) throw new PackageNotFoundError(`no release of ${name} matches "${request.range ?? 'latest'}"`, 'version_not_found');
      const release = await loadRelease(name, version);
      if (!release.found) throw new PackageNotFoundError(`${name} ${version} not found`, 'version_not_found');

      const rejections: ResolvedRelease['rejections'] = [];
      if (release.yanked) {
        rejections.push({ code: 'yanked', message: `${name} ${version} was yanked: ${release.yankedReason ?? 'no reason given'}` });
      }
      const wheels = release.files.filter((f) => f.wheel);
      const wheel = wheels.find((f) => isPureWheel(f.filename) && wheelFitsRunner(f.filename, python!)) ?? wheels.find((f) => wheelFitsRunner(f.filename, python!));
      if (wheels.length === 0) {
        rejections.push({ code: 'sdist_only', message: `${name} ${version} has no wheel; installing its sdist would run setup.py` });
      } else if (!wheel) {
        rejections.push({ code: 'no_compatible_wheel', message: `${name} ${version} has no wheel for Linux x86-64 / Python ${deps.runnerPython}` });
      }
      const requires = release.requiresPython ? parseSpecifierSet(release.requiresPython.replace(/\s+/g, '')) : [];
      if (requires === undefined) {
        rejections.push({ code: 'python_incompatible', message: `${name} ${version} has an unreadable requires_python "${release.requiresPython}"` });
      } else if (!satisfiesSpecifiers(python!, requires)) {
        rejections.push({ code: 'python_incompatible', message: `${name} ${version} requires Python ${release.requiresPython}; the runner has ${deps.runnerPython}` });
      }
      const uploads = release.files.map((f) => f.uploadedAt).filter((t): t is string => t !== undefined).sort();
      return {
        runtime: 'pypi',
        name: project.name,
        version,
        publishedAt: uploads[0] ? new Date(uploads[0]) : undefined,
        sha256: wheel?.sha256,
        tarball: wheel?.url,
        installScripts: [],
        rejections,
      };
    },
  };
}
