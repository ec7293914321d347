#!/usr/bin/env bash
# Starts a loopback-only mosquitto on 127.0.0.1:1883 for `make run` when no broker listens there,
# so the assistant's MQTT events and retained state work out of the box. Idempotent.
set -euo pipefail
if (exec 3<>/dev/tcp/127.0.0.1/1883) 2>/dev/null; then
  exit 0  # a broker is already there
fi
command -v mosquitto >/dev/null || { echo "local-broker: mosquitto missing (make system installs it)" >&2; exit 0; }
conf="${TMPDIR:-/tmp}/carvoice-local-broker.conf"
printf 'listener 1883 127.0.0.1\nallow_anonymous true\npersistence false\nset_tcp_nodelay true\n' > "$conf"
[ "$(id -u)" -eq 0 ] && echo "user root" >> "$conf"
mosquitto -d -c "$conf"
echo "local-broker: started mosquitto on 127.0.0.1:1883 (events under carvoice/car1/#)"
