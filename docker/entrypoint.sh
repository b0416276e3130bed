#!/bin/sh
# The Octopus container's entrypoint (see Dockerfile). test/docker.app.test.ts runs this very file outside
# Docker, in a directory laid out like the image, so what is tested is what the container runs.
#
# Node-RED as the official image installs it (NODE_RED_HOME, default: the directory above this
# script), with the settings of the Octopus pack installed beside it: user directory
# $OCTOPUS_DATA_DIR/node-red, the default application flow copied there on first start, port $PORT.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
NODE_RED_HOME=${NODE_RED_HOME:-$(dirname "$here")}

# There is no embedded broker or database in the image: say what is missing instead of starting half.
: "${MQTT_URL:?MQTT_URL is not set (the broker, e.g. mqtt://mosquitto:1883; docker-compose.yaml sets it)}"
: "${DATABASE_URL:?DATABASE_URL is not set (e.g. postgres://octopus:<password>@postgres:5432/octopus; docker-compose.yaml sets it)}"
: "${OCTOPUS_DATA_DIR:?OCTOPUS_DATA_DIR is not set (the data volume, /data in the image)}"

# exec: Node-RED is the container's main process and gets SIGTERM itself (it stops the flows cleanly).
exec node "$NODE_RED_HOME/node_modules/node-red/red.js" \
  --settings "$NODE_RED_HOME/node_modules/node-red-contrib-octopus/dist/settings.js" "$@"
