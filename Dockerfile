# syntax=docker/dockerfile:1
# Keywarden image: `docker build -t keywarden .` (or `docker compose up --build`).
# Two stages so the runtime image holds production dependencies and compiled JavaScript only:
# no TypeScript, no test tools, no npm cache.

# ---- build: install everything, compile, then drop dev dependencies ----
FROM node:20-bookworm-slim AS build
WORKDIR /app

# The dev dependencies mongodb-memory-server and redis-memory-server download database binaries
# in postinstall; the tests need them, an image build does not.
ENV MONGOMS_DISABLE_POSTINSTALL=true \
    REDISMS_DISABLE_POSTINSTALL=true

# Manifests first, so the dependency layer is reused while only source files change.
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund

COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY jobs ./jobs
# The auditor's chain check, so it runs in the image too: node dist/scripts/audit-verify.js <workspace>
COPY scripts/audit-verify.ts ./scripts/
# tsc -p tsconfig.build.json -> dist/src/**, dist/jobs/**, dist/scripts/audit-verify.js (with source maps)
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

# ---- runtime ----
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production

# Copied files stay owned by root: the process runs as `node` and can read its code but not
# rewrite it. Keywarden writes nothing to disk (logs go to stdout).
# package.json is needed at run time: its "type": "module" makes Node load dist/ as ESM.
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The example seed, so SEED_FILE=/app/examples/seed.json works out of the box (compose uses it).
COPY examples ./examples

USER node
EXPOSE 3000

# /healthz answers while the process is up; /readyz also checks MongoDB and Redis, and would
# mark every container unhealthy during a store outage. It assumes the default PORT 3000 (compose
# pins it). Slim images have no curl, so Node's fetch makes the call. A ROLE=worker container
# serves /healthz, /readyz and /metrics on PORT as well, so the same check works for it.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:3000/healthz', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# main.ts handles SIGTERM itself (closes workers, queues and the server), so node runs as PID 1
# directly, not under npm, which would not forward the signal.
CMD ["node", "--enable-source-maps", "dist/src/main.js"]
