# syntax=docker/dockerfile:1
# Multi-stage build of the sample MCP server: compile with dev dependencies, run with
# production dependencies only, as the unprivileged `node` user. The default target is the
# sample (the last stage); `--target dev-identity-provider` builds the development identity
# provider that `docker compose --profile sso` starts.

FROM node:20.19-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY libs ./libs
COPY apps ./apps
RUN npx nest build sample-mcp-server
RUN npx nest build dev-identity-provider

# Development only: oidc-provider is a devDependency, so this stage installs it alone, with its
# own dependency tree at the versions package-lock.json pins, instead of every dev dependency.
FROM node:20.19-bookworm-slim AS dev-identity-provider
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm pkg delete dependencies devDependencies overrides && \
  npm pkg set "dependencies.oidc-provider=$(node -p "require('./package-lock.json').packages['node_modules/oidc-provider'].version")" && \
  npm install --omit=dev --no-audit --no-fund --loglevel=error && npm cache clean --force
COPY --from=build /app/dist/dev-identity-provider ./dist/dev-identity-provider
USER node
EXPOSE 4000
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||4000)+'/.well-known/openid-configuration').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/dev-identity-provider/main.js"]

FROM node:20.19-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --loglevel=error && npm cache clean --force
COPY --from=build /app/dist/sample-mcp-server ./dist/sample-mcp-server
# The embedded database (used only when DATABASE_URL is unset) lives here.
RUN mkdir -p /app/.data && chown node:node /app/.data
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/sample-mcp-server/apps/sample-mcp-server/src/main.js"]
