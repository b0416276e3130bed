# Octopus on the official Node-RED image: the pack is built and packed (`npm pack`) in a Node stage,
# then installed beside Node-RED in the image the way any Node-RED package is installed.
# test/docker.app.test.ts reads this file and runs its RUN, COPY, ENV, ENTRYPOINT and HEALTHCHECK steps
# outside Docker (paths mapped into a temporary directory laid out like the image), so the two
# cannot drift apart. `docker-compose up` builds it; see docker-compose.yaml.

FROM node:20-alpine AS pack
WORKDIR /build
COPY . .
RUN npm ci --no-audit --no-fund --ignore-scripts
# `npm pack` runs the package's prepare script (the TypeScript build) and writes the tarball.
RUN npm pack --pack-destination /pack && mv /pack/node-red-contrib-octopus-*.tgz /pack/node-red-contrib-octopus.tgz

FROM nodered/node-red:4.1
WORKDIR /usr/src/node-red
COPY --from=pack /pack/node-red-contrib-octopus.tgz /usr/src/node-red/node-red-contrib-octopus.tgz
RUN npm install --omit=dev --no-audit --no-fund --no-update-notifier ./node-red-contrib-octopus.tgz
COPY docker/entrypoint.sh docker/healthcheck.js /usr/src/node-red/octopus/
ENV OCTOPUS_DATA_DIR=/data PORT=1880
EXPOSE 1880
# The image's own healthcheck reads /data/settings.js, which Octopus does not use.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s CMD ["node", "/usr/src/node-red/octopus/healthcheck.js"]
ENTRYPOINT ["/usr/src/node-red/octopus/entrypoint.sh"]
