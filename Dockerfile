# voicesocket as a container: docs/deploy.md "Container image".
#   docker build -t voicesocket .
#   docker run -p 3000:3000 voicesocket
# Settings come from the environment (README "Settings"), e.g. -e REDIS_URL=redis://redis:6379.

# Build stage: every dependency, the TypeScript compiler and the web UI bundler.
FROM node:26-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY bin ./bin
COPY src ./src
COPY web ./web
# The vendors' SDKs are optional peer dependencies of the package (README "Use it as a library");
# the image carries these so that every engine and agent provider works from settings alone. Name
# fewer with --build-arg VENDOR_SDKS="openai assemblyai", or none with --build-arg VENDOR_SDKS=.
ARG VENDOR_SDKS="@deepgram/sdk @elevenlabs/elevenlabs-js @google/genai @openai/agents-realtime assemblyai openai"
# Then only what runs: production dependencies (the SDKs named above among them) and the build,
# without the build's own records.
RUN npm run build && rm -f dist/.tsbuildinfo dist/.web-build.json dist/.built \
 && node -e "const fs = require('fs'), p = require('./package.json'); for (const sdk of process.argv.slice(1)) { p.dependencies[sdk] = p.peerDependencies[sdk]; delete p.devDependencies[sdk]; } fs.writeFileSync('package.json', JSON.stringify(p, null, 2));" $VENDOR_SDKS \
 && npm install --omit=dev --ignore-scripts --no-audit --no-fund

# Run stage: no compiler, no sources, no npm cache; an unprivileged user.
FROM node:26-bookworm-slim
ENV NODE_ENV=production \
    PORT=3000 \
    HOST=0.0.0.0
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/bin ./bin
COPY --from=build /app/dist ./dist
# The image's own "node" user (uid 1000); the files stay root's: the process cannot rewrite itself.
USER node
EXPOSE 3000
# Liveness, like Kubernetes' livenessProbe: /healthz stays 200 while a drain finishes its calls.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM drains (docs/deploy.md); give `docker stop` a --time longer than DRAIN_DELAY + DRAIN_TIMEOUT + 5.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "bin/voicesocket.js"]
CMD ["serve"]
