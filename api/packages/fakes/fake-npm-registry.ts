import { createHash } from 'node:crypto';
import { FaultServer } from './fault-server.ts';

/** A version to publish on the fake registry; fields left out take realistic defaults. */
export interface FakeNpmVersion {
  version: string;
  publishedAt: string;
  deprecated?: string;
  /** Undefined: `{ [name]: 'index.js' }`; null: no bin at all. */
  bin?: Record<string, string> | null;
  scripts?: Record<string, string>;
  gypfile?: boolean;
  /** Null: an old-style version with only a sha1 shasum. */
  integrity?: string | null;
}

/**
 * A fake npm registry speaking the registry's wire format: full packuments (`/name`, `/@scope%2fname`)
 * with versions, dist-tags, time, deprecated and dist, unpublished packuments, 404s, and the fault
 * injection of FaultServer.
 */
export class FakeNpmRegistry {
  private readonly packuments = new Map<string, unknown>();

  private constructor(readonly server: FaultServer) {}

  static async start(): Promise<FakeNpmRegistry> {
    let self: FakeNpmRegistry | undefined;
    const server = await FaultServer.start((path) => {
      const name = decodeURIComponent(path.slice(1));
      const doc = self!.packuments.get(name);
      return doc ? { status: 200, body: doc } : { status: 404, body: { error: 'Not found' } };
    });
    self = new FakeNpmRegistry(server);
    return self;
  }

  get url(): string {
    return `${this.server.url}/`;
  }

  /** Publishes a package; `latest` defaults to the last version given. */
  publish(name: string, versions: FakeNpmVersion[], distTags: Record<string, string> = {}): void {
    const time: Record<string, string> = { created: versions[0]?.publishedAt ?? '2020-01-01T00:00:00.000Z' };
    const docs: Record<string, unknown> = {};
    for (const v of versions) {
      const tarball = `${this.server.url}/${name}/-/${name.split('/').pop()}-${v.version}.tgz`;
      const shasum = createHash('sha1').update(`${name}@${v.version}`).digest('hex');
      const integrity = v.integrity === null ? undefined : (v.integrity ?? `sha512-${createHash('sha512').update(`${name}@${v.version}`).digest('base64')}`);
      docs[v.version] = {
        name,
        version: v.version,
        description: `${name} test package`,
        main: 'index.js',
        license: 'MIT',
        ...(v.bin === null ? {} : { bin: v.bin ?? { [name.split('/').pop()!]: 'index.js' } }),
        ...(v.scripts ? { scripts: v.scripts } : {}),
        ...(v.gypfile ? { gypfile: true } : {}),
        ...(v.deprecated ? { deprecated: v.deprecated } : {}),
        dependencies: {},
        _id: `${name}@${v.version}`,
        _npmUser: { name: 'tester', email: 'tester@example.com' },
        dist: { shasum, tarball, fileCount: 3, unpackedSize: 1024, ...(integrity ? { integrity } : {}) },
      };
      time[v.version] = v.publishedAt;
    }
    time.modified = versions.at(-1)?.publishedAt ?? time.created!;
    this.packuments.set(name, {
      _id: name,
      _rev: '3-abc',
      name,
      description: `${name} test package`,
      'dist-tags': { latest: versions.at(-1)?.version, ...distTags },
      versions: docs,
      time,
      maintainers: [{ name: 'tester', email: 'tester@example.com' }],
      readme: '# readme',
      license: 'MIT',
    });
  }

  /** Replaces a package with the registry's tombstone for a fully unpublished package. */
  unpublishAll(name: string, at: string): void {
    this.packuments.set(name, {
      _id: name,
      name,
      time: { created: '2020-01-01T00:00:00.000Z', modified: at, unpublished: { time: at, versions: ['1.0.0'] } },
    });
  }

  /** Removes one version while keeping it in `time`, as the registry does after `npm unpublish name@version`. */
  unpublishVersion(name: string, version: string): void {
    const doc = this.packuments.get(name) as { versions: Record<string, unknown> };
    delete doc.versions[version];
  }

  /** Serves `body` verbatim for a name (malformed answers). */
  serveRaw(name: string, body: unknown): void {
    this.packuments.set(name, body);
  }

  close(): Promise<void> {
    return this.server.close();
  }
}
