# The KPI server, compiled. Build: docker build -t kpi-server .
# Run: the API by default; `node dist/worker.js` for a worker, `node dist/cli.js migrate` for the CLI.
# docs/deploy.md says what to set (NODE_ENV=production needs DATABASE_URL and JWT_SECRET or JWT_JWKS_URL).

FROM node:20-slim AS build
WORKDIR /app
# Playwright (a dev dependency) must not try to download a browser.
ENV PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
COPY package.json package-lock.json ./
# --ignore-scripts: the prepare script would build the dashboard before its sources are copied.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run build && npm run build:web

FROM node:20-slim
ENV NODE_ENV=production PORT=4000
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY --from=build /app/web/dist ./web/dist
COPY drizzle ./drizzle
# DATA_DIR of the embedded database, should someone run the image without DATABASE_URL.
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 4000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
  CMD node -e "fetch('http://127.0.0.1:' + (process.env.PORT || 4000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
CMD ["node", "dist/main.js"]
