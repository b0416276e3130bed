#!/bin/sh
# The compose broker's entrypoint: on the first start (no dynamic-security.json yet) it makes the
# dynamic security plugin's config with its admin client (OCTOPUS_MQTT_ADMIN_USER / _PASSWORD),
# then, through a short-lived broker on the loopback listener, Node-RED's ingest user
# (MQTT_USERNAME / MQTT_PASSWORD) with a role that reads and writes everything, and closes every
# other client's default access. Later starts keep what the file holds (devices and hubs added in
# /ui live there). Then it runs Mosquitto.
#   dynsec-init.sh            first-start setup if needed, then exec mosquitto
#   dynsec-init.sh --init     first-start setup only (tests)
# Paths and port can be overridden: MOSQUITTO_CONF, DYNSEC_FILE, MQTT_LOCAL_PORT.
set -eu
CONF="${MOSQUITTO_CONF:-/mosquitto/config/mosquitto.conf}"
DYNSEC="${DYNSEC_FILE:-/mosquitto/data/dynamic-security.json}"
PORT="${MQTT_LOCAL_PORT:-1883}"

if [ ! -s "$DYNSEC" ]; then
  : "${OCTOPUS_MQTT_ADMIN_USER:?set OCTOPUS_MQTT_ADMIN_USER}" "${OCTOPUS_MQTT_ADMIN_PASSWORD:?set OCTOPUS_MQTT_ADMIN_PASSWORD}"
  : "${MQTT_USERNAME:?set MQTT_USERNAME}" "${MQTT_PASSWORD:?set MQTT_PASSWORD}"
  mosquitto_ctrl dynsec init "$DYNSEC" "$OCTOPUS_MQTT_ADMIN_USER" "$OCTOPUS_MQTT_ADMIN_PASSWORD" >/dev/null
  # Mosquitto started as root drops to its own user, which must read and rewrite the plugin's file.
  if [ "$(id -u)" = 0 ] && id mosquitto >/dev/null 2>&1; then chown -R mosquitto:mosquitto "$(dirname "$DYNSEC")"; fi
  mosquitto -c "$CONF" &
  pid=$!
  ctrl() { mosquitto_ctrl -h 127.0.0.1 -p "$PORT" -u "$OCTOPUS_MQTT_ADMIN_USER" -P "$OCTOPUS_MQTT_ADMIN_PASSWORD" dynsec "$@" >/dev/null; }
  tries=0
  until ctrl listClients 2>/dev/null; do
    tries=$((tries + 1))
    if [ "$tries" -gt 100 ]; then echo "dynsec-init: the broker did not start" >&2; kill "$pid"; exit 1; fi
    sleep 0.2
  done
  ctrl setDefaultACLAccess publishClientSend deny
  ctrl setDefaultACLAccess publishClientReceive deny
  ctrl setDefaultACLAccess subscribe deny
  ctrl createRole octopus-ingest
  ctrl addRoleACL octopus-ingest publishClientSend '#' allow
  ctrl addRoleACL octopus-ingest publishClientReceive '#' allow
  ctrl addRoleACL octopus-ingest subscribePattern '#' allow
  ctrl createClient "$MQTT_USERNAME" -p "$MQTT_PASSWORD"
  ctrl addClientRole "$MQTT_USERNAME" octopus-ingest
  kill "$pid"
  wait "$pid" || true
  echo "dynsec-init: made the admin client $OCTOPUS_MQTT_ADMIN_USER and the ingest user $MQTT_USERNAME in $DYNSEC"
fi
[ "${1:-}" = "--init" ] && exit 0
# The image's own entrypoint (it hands /mosquitto to the mosquitto user) when there is one.
if [ -x /docker-entrypoint.sh ]; then exec /docker-entrypoint.sh mosquitto -c "$CONF"; fi
exec mosquitto -c "$CONF"
