#!/bin/sh
# Production install of one bridge into /opt/matrix-bridges: only the runtime dependencies of bridge-core and the
# chosen network package, no test tools (`npm ci --omit=dev -w …`; scripts/check-production-deps.ts checks that such
# an install carries none). Run as root from a checkout: packaging/install.sh bridge-irc irc
set -eu
network_package=${1:?usage: install.sh bridge-irc|bridge-xmpp|bridge-telegram INSTANCE}
instance=${2:?usage: install.sh bridge-irc|bridge-xmpp|bridge-telegram INSTANCE}
src=$(cd "$(dirname "$0")/.." && pwd)
dest=/opt/matrix-bridges

mkdir -p "$dest"
cp -r "$src/package.json" "$src/package-lock.json" "$src/README.md" "$dest/"
mkdir -p "$dest/packages"
for pkg in bridge-core "$network_package"; do
  rm -rf "$dest/packages/$pkg"
  cp -r "$src/packages/$pkg" "$dest/packages/$pkg"
  rm -rf "$dest/packages/$pkg/test" "$dest/packages/$pkg/node_modules"
done
# Installs only the named workspaces' production dependencies; npm 11 runs no install scripts.
(cd "$dest" && npm ci --omit=dev --ignore-scripts -w packages/bridge-core -w "packages/$network_package")

id matrix-bridge >/dev/null 2>&1 || useradd --system --home-dir /var/lib/matrix-bridges --shell /usr/sbin/nologin matrix-bridge
install -d -m 0750 -o root -g matrix-bridge "/etc/matrix-bridges/$instance"
install -d -m 0700 -o matrix-bridge -g matrix-bridge "/var/lib/matrix-bridges/$instance"
install -m 0644 "$src/packaging/systemd/matrix-bridge@.service" /etc/systemd/system/
if [ ! -e "/etc/matrix-bridges/$instance/config.yaml" ]; then
  node "$dest/packages/bridge-core/src/cli/launch.js" -e -n "$network_package" -c "/etc/matrix-bridges/$instance/config.yaml"
  chgrp matrix-bridge "/etc/matrix-bridges/$instance/config.yaml"
  chmod 0640 "/etc/matrix-bridges/$instance/config.yaml"
fi
systemctl daemon-reload
echo "Edit /etc/matrix-bridges/$instance/config.yaml (store.path under /var/lib/matrix-bridges/$instance), write the"
echo "registration with -r, install it in the homeserver, then: systemctl enable --now matrix-bridge@$instance"
