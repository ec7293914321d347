#!/usr/bin/env bash
# Installs the Debian packages carvoice needs, only those missing (idempotent, fast when done).
#   mosquitto        the MQTT broker the tests start on a loopback port
#   mosquitto-clients  mosquitto_sub/mosquitto_pub, which the README uses to watch the events
#   espeak-ng, sox   spoken test requests and audio conversion (the evaluation's --speak)
#   libportaudio2    sounddevice's PortAudio; libasound2-plugins for ALSA's file plugin in tests
#   libsndfile1      WAV reading
#   systemd          systemd-analyze for the unit-file checks
#   chromium, chromium-driver  the headless browser (and its chromedriver) the web view's tests drive
set -euo pipefail
packages=(mosquitto mosquitto-clients espeak-ng sox libportaudio2 libsndfile1 libasound2-plugins alsa-utils systemd
          chromium chromium-driver)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "setup-system: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
