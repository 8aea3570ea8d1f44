#!/usr/bin/env bash
# Installs what Sơn Tinh needs on a fresh Debian machine: system packages for
# windowing and software rendering (Mesa's lavapipe), the MQTT broker used by
# the feed tests, and the wasm target. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
packages=(
  build-essential pkg-config
  mesa-vulkan-drivers libvulkan1   # lavapipe: Vulkan on the CPU for headless renders
  libx11-dev libxkbcommon-x11-0 libxcursor1 libxrandr2 libxi6   # the viewer's window (X11)
  libudev-dev libasound2-dev
  mosquitto mosquitto-clients      # MQTT broker (and mosquitto_passwd) for live feeds; mosquitto_pub/sub to look at it
  postgresql                       # the IOC history's PostgreSQL back-end: tests start throw-away clusters of its server
  python3-venv                     # laspy, the independent COPC reader of the tests
  chromium                         # the browser tests (driven by playwright-core; no browser downloads)
  brotli                           # the web bundle's pre-compression
  espeak-ng vorbis-tools sox       # tours' narration audio (tools/make_tour_audio.py) and its check (sox)
)
# Node.js and npm (playwright-core and pngjs for the browser tests): Debian's
# only where the machine has none. A machine with NodeSource's nodejs already
# has npm, and Debian's npm package conflicts with it.
command -v node >/dev/null || packages+=(nodejs)
command -v npm >/dev/null || packages+=(npm)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
fi
if ! command -v cargo >/dev/null; then
  echo "Rust is required: install it with rustup (https://rustup.rs), then run this again." >&2
  exit 1
fi
rustup target list --installed 2>/dev/null | grep -q wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
# Independent references for the tests: laspy with lazrs reads our COPC
# output; rasterio (with its own GDAL) samples DEMs and pyproj transforms
# coordinates for the measurement tests; pyogrio (GDAL's vector drivers)
# reads the measurements' GeoJSON and CSV exports; FROST's SensorThings client reads
# the gateway's SensorThings API; pmtiles, mercantile and Pillow write the base map
# tests' tile sets (tools/make_basemap_tiles.py).
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c "import laspy, lazrs, rasterio, pyproj, pyogrio, frost_sta_client, pmtiles, mercantile, PIL" 2>/dev/null; then
  [ -x .venv/bin/python ] || python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check "laspy==2.7.0" "lazrs==0.8.*" numpy "rasterio==1.4.*" "pyproj==3.7.*" "pyogrio==0.13.*" "frost-sta-client==1.1.53" "pmtiles==3.8.*" "mercantile==1.2.*" "pillow==13.*"
fi
# The browser tests' node packages and the release bundle's wasm-opt, at the
# versions in web/package-lock.json.
if [ ! -d web/node_modules/playwright-core ] || [ ! -d web/node_modules/pngjs ] || [ ! -d web/node_modules/binaryen ]; then
  (cd web && npm ci --no-audit --no-fund --loglevel=error)
fi
