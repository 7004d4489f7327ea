import npmFetch from 'npm-registry-fetch';
import semver from 'semver';
import { z } from 'zod';
import type { Logger } from '../platform/logger.ts';
import type { CachedLoader } from './package-cache.ts';
import type { PackageRequest } from './package-spec.ts';
import { PackageNotFoundError, RegistryHttpError } from './registry-errors.ts';
import { cacheTtlFor, callRegistry, classifyNetworkError, classifyStatus, DEFAULT_REGISTRY_CALL, type RegistryCallOptions } from './registry-fetch.ts';
import type { PackageRegistry } from './registry.ts';
import type { ResolvedRelease } from './verdict.ts';

const INSTALL_SCRIPTS = ['preinstall', 'install', 'postinstall'] as const;

/** One version of a packument as the registry sends it (only the fields admission reads). */
const ManifestSchema = z.looseObject({
  version: z.string(),
  deprecated: z.union([z.string(), z.boolean()]).optional(),
  bin: z.union([z.string(), z.record(z.string(), z.unknown())]).optional(),
  directories: z.looseObject({ bin: z.string().optional() }).optional(),
  scripts: z.record(z.string(), z.unknown()).optional(),
  gypfile: z.boolean().optional(),
  hasInstallScript: z.boolean().optional(),
  dist: z.looseObject({ integrity: z.string().optional(), tarball: z.string() }),
});

const PackumentSchema = z.looseObject({
  name: z.string(),
  'dist-tags': z.record(z.string(), z.string()).default({}),
  versions: z.record(z.string(), z.unknown()).default({}),
  time: z.record(z.string(), z.unknown()).default({}),
});

/** What the cache keeps of a packument: a few facts per version instead of every readme. */
const TrimmedVersionSchema = z.object({
  deprecated: z.string().optional(),
  hasBin: z.boolean(),
  installScripts: z.array(z.string()),
  integrity: z.string().optional(),
  tarball: z.string(),
  publishedAt: z.string().optional(),
});
const TrimmedPackumentSchema = z.discriminatedUnion('found', [
  z.object({ found: z.literal(false) }),
  z.object({
    found: z.literal(true),
    name: z.string(),
    distTags: z.record(z.string(), z.string()),
    versions: z.record(z.string(), TrimmedVersionSchema),
    /** Versions listed in `time` but gone from `versions`: unpublished. */
    unpublishedVersions: z.array(z.string()),
    unpublished: z.boolean(),
  }),
]);
type TrimmedPackument = z.infer<typeof TrimmedPackumentSchema>;
type TrimmedVersion = z.infer<typeof TrimmedVersionSchema>;

function trimVersion(raw: unknown, publishedAt: unknown): TrimmedVersion | undefined {
  const parsed = ManifestSchema.safeParse(raw);
  if (!parsed.success) return undefined;
  const m = parsed.data;
  const scripts = INSTALL_SCRIPTS.filter((s) => typeof m.scripts?.[s] === 'string' && (m.scripts[s] as string).trim() !== '');
  const installScripts: string[] = [...scripts];
  if (installScripts.length === 0 && (m.gypfile || m.hasInstallScript)) installScripts.push(m.gypfile ? 'install (node-gyp rebuild)' : 'install');
  const binCount = typeof m.bin === 'string' ? (m.bin ? 1 : 0) : Object.keys(m.bin ?? {}).length;
  return {
    deprecated: typeof m.deprecated === 'string' && m.deprecated !== '' ? m.deprecated : undefined,
    hasBin: binCount > 0 || Boolean(m.directories?.bin),
    installScripts,
    integrity: m.dist.integrity,
    tarball: m.dist.tarball,
    publishedAt: typeof publishedAt === 'string' ? publishedAt : undefined,
  };
}

/** Reduces a raw packument to what admission needs; versions whose manifest is malformed are left out. */
export function trimPackument(raw: unknown): TrimmedPackument {
  const doc = PackumentSchema.parse(raw);
  const versions: Record<string, TrimmedVersion> = {};
  for (const [version, manifest] of Object.entries(doc.versions)) {
    const trimmed = semver.valid(version) ? trimVersion(manifest, doc.time[version]) : undefined;
    if (trimmed) versions[version] = trimmed;
  }
  const listed = Object.keys(doc.time).filter((k) => semver.valid(k));
  return {
    found: true,
    name: doc.name,
    distTags: doc['dist-tags'],
    versions,
    unpublishedVersions: listed.filter((v) => !(v in doc.versions)),
    unpublished: doc.time.unpublished !== undefined && Object.keys(doc.versions).length === 0,
  };
}

/** Picks one version like npm does: the tag, else `latest` if it satisfies, else the highest non-deprecated match. */
function pickVersion(doc: Extract<TrimmedPackument, { found: true }>, range: string | undefined): string | undefined {
  const wanted = range ?? 'latest';
  const tagged = doc.distTags[wanted];
  if (tagged !== undefined) return tagged in doc.versions ? tagged : undefined;
  if (semver.validRange(wanted) === null) return undefined;
  const all = Object.keys(doc.versions);
  const latest = doc.distTags.latest;
  if (latest && latest in doc.versions && semver.satisfies(latest, wanted) && !doc.versions[latest]!.deprecated) return latest;
  const live = all.filter((v) => !doc.versions[v]!.deprecated);
  return semver.maxSatisfying(live, wanted) ?? semver.maxSatisfying(all, wanted) ?? undefined;
}

/**
 * The npm registry through npm-registry-fetch (so private registries and auth work the npm way), with
 * the shared cache, a timeout and retries. Rejects deprecated versions, packages without `bin`, and
 * versions without `dist.integrity`; reports install scripts for the policy to judge.
 */
export function createNpmRegistry(deps: {
  registryUrl: string;
  loader: CachedLoader;
  logger: Logger;
  ttlMs?: number;
  call?: RegistryCallOptions;
}): PackageRegistry {
  const call = deps.call ?? DEFAULT_REGISTRY_CALL;
  const ttlMs = cacheTtlFor(deps.ttlMs);

  async function fetchPackument(name: string): Promise<TrimmedPackument> {
    const path = `/${name.replace('/', '%2f')}`;
    return callRegistry('npm', name, async () => {
      let raw: unknown;
      try {
        raw = await npmFetch.json(path, {
          registry: deps.registryUrl,
          timeout: call.timeoutMs,
          signal: AbortSignal.timeout(call.timeoutMs),
          retry: { retries: 0 },
          headers: { accept: 'application/json' },
          preferOnline: true,
        });
      } catch (error) {
        const status = (error as { statusCode?: unknown }).statusCode;
        if (status === 404) return { found: false } as const;
        if (typeof status === 'number') throw classifyStatus(status);
        throw classifyNetworkError(error, call.timeoutMs);
      }
      if (!PackumentSchema.safeParse(raw).success) throw new RegistryHttpError(200, false, 'malformed packument');
      return trimPackument(raw);
    }, call, deps.logger);
  }

  return {
    runtime: 'npm',
    async resolve(request: PackageRequest): Promise<ResolvedRelease> {
      const body = await deps.loader.load(`npm:packument:${request.name}`, ttlMs, () => fetchPackument(request.name));
      const doc = TrimmedPackumentSchema.parse(body);
      if (!doc.found) throw new PackageNotFoundError(`npm package "${request.name}" not found`);
      if (doc.unpublished) throw new PackageNotFoundError(`npm package "${request.name}" was unpublished`, 'package_unpublished');
      const version = pickVersion(doc, request.range);
      if (version === undefined) {
        if (request.range && doc.unpublishedVersions.includes(request.range)) {
          throw new PackageNotFoundError(`${request.name}@${request.range} was unpublished`, 'version_unpublished');
        }
        throw new PackageNotFoundError(`no published version of ${request.name} matches "${request.range ?? 'latest'}"`, 'version_not_found');
      }
      const facts = doc.versions[version]!;
      const rejections: ResolvedRelease['rejections'] = [];
      if (facts.deprecated) rejections.push({ code: 'deprecated', message: `${request.name}@${version} is deprecated: ${facts.deprecated}` });
      if (!facts.hasBin) rejections.push({ code: 'no_bin', message: `${request.name}@${version} declares no "bin", so npx has nothing to run` });
      if (!facts.integrity) rejections.push({ code: 'no_integrity', message: `${request.name}@${version} has no dist.integrity to pin its content` });
      return {
        runtime: 'npm',
        name: doc.name,
        version,
        publishedAt: facts.publishedAt ? new Date(facts.publishedAt) : undefined,
        integrity: facts.integrity,
        tarball: facts.tarball,
        installScripts: facts.installScripts,
        rejections,
      };
    },
  };
}
