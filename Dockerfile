# Build stage: install everything, check the types, then drop dev dependencies.
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
COPY src ./src
# npm ci runs prepare, which builds the web console into dist/console.
COPY console ./console
RUN npm ci --no-audit --no-fund
RUN npx tsc --noEmit -p . || (echo "type check failed" && exit 1)
RUN npm prune --omit=dev

# Runtime stage: production dependencies and sources only, as an unprivileged user.
FROM node:20-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    DATA_DIR=/data
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/src ./src
COPY --from=build /app/dist ./dist
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s \
  CMD node -e "fetch('http://127.0.0.1:8080/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
# tsx runs the TypeScript sources directly; it is a production dependency.
CMD ["node", "--import", "tsx", "src/main.ts"]
