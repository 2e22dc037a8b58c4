#!/usr/bin/env bash
# Install the Debian packages fonet's tests use, where missing.
set -euo pipefail
need=()
command -v snmpd >/dev/null 2>&1 || [ -x /usr/sbin/snmpd ] || need+=(snmpd)
command -v snmpbulkget >/dev/null 2>&1 || need+=(snmp)
command -v ogrinfo >/dev/null 2>&1 || need+=(gdal-bin)
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing Debian packages: ${need[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq -o DPkg::Lock::Timeout=600 --no-install-recommends "${need[@]}" >/dev/null
fi
