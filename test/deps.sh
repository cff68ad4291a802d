#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Install every Debian package vigil needs to build and test. Idempotent;
# needs root. Kept in one place so the README's commands and CI agree.
set -euo pipefail

packages=(
  # build
  build-essential cmake pkg-config clang
  # clang's ASan/UBSan and libFuzzer runtimes (test/fuzz): only a Recommends
  # of clang, so not installed with --no-install-recommends
  libclang-rt-dev
  libmariadb-dev libnl-3-dev libnl-route-3-dev libinih-dev libev-dev libjson-c-dev
  libmicrohttpd-dev libsystemd-dev libcap-dev
  # etcd client (agent/etcd_client.c)
  libcurl4-openssl-dev
  # man pages are linted in the tests
  mandoc
  # unit tests and quality checks
  libcmocka-dev valgrind python3
  # network lab, integration and interop tests
  iproute2 nftables tcpdump iputils-ping iputils-arping procps keepalived
  mariadb-server mariadb-client
  # etcd 3.4 for the etcd client's tests (started on 127.0.0.1 by the test)
  etcd-server etcd-client
  # benchmark timelines (test/bench)
  gnuplot-nox
)

if [ "$(id -u)" -ne 0 ]; then
  echo "deps.sh: must run as root to install packages (apt-get)" >&2
  exit 1
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "deps.sh: all ${#packages[@]} packages present"
  exit 0
fi

echo "deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# Debian starts services after installing them (mariadb, keepalived); the
# lab runs its own instances, so forbid that for the duration.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod 755 "$policy"; created_policy=1
fi
trap '[ "$created_policy" = 1 ] && rm -f "$policy"' EXIT
apt-get install -y -qq --no-install-recommends "${missing[@]}"
