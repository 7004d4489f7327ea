# syntax=docker/dockerfile:1
# The Hangar API image (what fly.toml deploys). Built by `fly deploy` on Fly's remote builder, or by hand:
#   docker build -t hangar-api .
# It runs the TypeScript sources directly with tsx (a runtime dependency), as `npm start` does.
#
# The base is pinned by digest (tag kept for readers). The all-zero digest is a deliberate placeholder in
# the real digest format: no container registry is reachable from the development machines, so nobody here
# could resolve it. Before the first deploy, resolve the tag and commit the digest:
#   docker buildx imagetools inspect node:20.20.2-bookworm-slim --format '{{json .Manifest.Digest}}'
#   (or: crane digest node:20.20.2-bookworm-slim)
# and use the same digest in both FROM lines. Until then the build fails at pull time instead of floating
# on a tag. docs/operating.md ("Building the images") repeats this.

FROM node:20.20.2-bookworm-slim@sha256:0000000000000000000000000000000000000000000000000000000000000000 AS deps
WORKDIR /srv/hangar
COPY package.json package-lock.json ./
# Production dependencies only, and no install scripts: nothing Hangar runs relies on one (the Prisma client
# is generated and committed under api/db/generated; argon2 and PostgreSQL binaries ship in npm packages).
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM node:20.20.2-bookworm-slim@sha256:0000000000000000000000000000000000000000000000000000000000000000 AS source
WORKDIR /srv/hangar
COPY api ./api
COPY scripts ./scripts
COPY prisma/migrations ./prisma/migrations
# The local machine driver (no FLY_API_TOKEN) imports the runner and spawns runner/main.ts.
COPY runner ./runner
# Tests, their fixtures and fakes never ship (test/deploy-files.test.ts proves nothing that runs needs them).
RUN find api scripts runner -name '*.test.ts' -delete \
 && rm -rf api/vault/fixtures api/packages/fakes runner/fixtures runner/test-support.ts runner/Dockerfile

FROM node:20.20.2-bookworm-slim@sha256:0000000000000000000000000000000000000000000000000000000000000000
WORKDIR /srv/hangar
ENV NODE_ENV=production \
    PORT=8080 \
    npm_config_update_notifier=false
# Owned by root and read-only to the app: the process (user `node`, uid 1000) cannot rewrite its own code.
COPY --from=deps /srv/hangar/node_modules ./node_modules
COPY --from=source /srv/hangar ./
COPY package.json package-lock.json ./
# HANGAR_DATA_DIR: the only writable place (only used without DATABASE_URL, e.g. a one-off local run).
RUN mkdir -p /srv/hangar/.hangar && chown node:node /srv/hangar/.hangar
USER node
EXPOSE 8080
STOPSIGNAL SIGTERM
# No HEALTHCHECK: Fly ignores it; fly.toml's http checks on /healthz and /readyz are the health signal.
CMD ["node", "--import", "tsx", "api/main.ts"]
