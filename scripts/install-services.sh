#!/usr/bin/env bash
# Installs the servers the integration tests run on 127.0.0.1: BIND 9 (named, nsupdate, dig)
# and etcd 3.4, from Debian's packages. Does nothing when they are already there.
set -euo pipefail
need=()
command -v named >/dev/null 2>&1 || [ -x /usr/sbin/named ] || need+=(bind9)
command -v nsupdate >/dev/null 2>&1 || need+=(bind9-dnsutils)
command -v etcd >/dev/null 2>&1 || need+=(etcd-server)
command -v etcdctl >/dev/null 2>&1 || need+=(etcd-client)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install-services: need root (or sudo) to install: ${need[*]}" >&2; exit 1
  fi
fi
echo "install-services: installing ${need[*]} from Debian's packages" >&2
$SUDO apt-get update -qq
# Packages' own services are not wanted: tests start their own instances on loopback ports.
printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
$SUDO chmod +x /usr/sbin/policy-rc.d
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
$SUDO rm -f /usr/sbin/policy-rc.d
