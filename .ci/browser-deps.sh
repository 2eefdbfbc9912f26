#!/usr/bin/env bash
# Install what tests/test_browser.py needs to drive JupyterLab in a real browser:
# Debian's Chromium (Playwright's own browser download is not used) and fonts for readable screenshots.
# Idempotent: does nothing when everything is already there.  Needs root (or sudo) for apt-get.
set -euo pipefail

# fonts-wqy-microhei: the CJK glyphs of the glossary and the Chinese readings (small; fonts-noto-cjk is larger)
packages=(chromium chromium-driver fonts-dejavu-core fonts-liberation fonts-wqy-microhei fonts-noto-color-emoji)

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
    # Not Debian/Ubuntu (macOS, Windows, other Linux): nothing to install from here.
    echo "browser-deps: no apt-get here; install Chromium yourself and point COURSE_CHROMIUM at it" \
         "(the browser tests fail with this hint until then; every other test runs without it)"
    exit 0
fi
missing=()
for pkg in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done

if [ "${#missing[@]}" -eq 0 ]; then
    echo "browser-deps: already installed: ${packages[*]}"
else
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    echo "browser-deps: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Fail here, with a clear message, rather than later inside the browser test.
chromium --version >/dev/null 2>&1 || { echo "browser-deps: /usr/bin/chromium does not run" >&2; exit 1; }
echo "browser-deps: $(chromium --version 2>/dev/null)"
