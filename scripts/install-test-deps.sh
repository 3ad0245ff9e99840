#!/bin/sh
# Install what the test suite needs on Debian/Ubuntu (CI: Debian 12, as root, no systemd/init):
# the real mail stack of scripts/stack.py (Dovecot, Postfix, openssl), msmtp and swaks as peer
# clients, s-nail and git send-email as callers of smail-sendmail, the test OAuth server
# (Node.js + `npm ci` of scripts/stack/oidc: oidc-provider), then pysmail itself with its test
# extras into .venv (scripts/test runs .venv/bin/python; Debian's own python3 refuses pip
# installs, PEP 668). Idempotent: safe to run again.
#
#   sh scripts/install-test-deps.sh        # as root, or with sudo available
set -eu

REPO=$(cd "$(dirname "$0")/.." && pwd)

SUDO=
if [ "$(id -u)" -ne 0 ]; then
    SUDO=sudo
fi

PACKAGES="dovecot-core dovecot-submissiond dovecot-pop3d dovecot-lmtpd postfix msmtp swaks openssl tinyproxy dante-server"
# real callers of smail-sendmail (tests/cli/test_sendmail.py): mailx, and git send-email
# (git-email's Mail::Address is in libmailtools-perl, only a Recommends)
PACKAGES="$PACKAGES s-nail git-email libmailtools-perl"
PACKAGES="$PACKAGES chromium"  # tests/browser: Playwright drives /usr/bin/chromium
# man -l checks the generated man pages; zsh runs the completion tests; swaks needs Net::SSLeay for TLS
PACKAGES="$PACKAGES man-db groff-base zsh libnet-ssleay-perl"
# readable Japanese in the browser tests' screenshots
PACKAGES="$PACKAGES fonts-ipafont-gothic"
if ! python3 -c "import ensurepip, venv" 2>/dev/null; then
    PACKAGES="$PACKAGES python3-venv"  # Debian splits venv/ensurepip out of python3
fi
if ! command -v node >/dev/null 2>&1; then
    # Only when there is no Node.js at all: a machine that has one (Node 20+) keeps it.
    PACKAGES="$PACKAGES nodejs npm"
fi

missing=
for pkg in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $pkg"
    fi
done

if [ -n "$missing" ]; then
    APT="$SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600"
    # Postfix must neither ask questions nor write /etc/postfix/main.cf: scripts/stack.py
    # brings its own configuration. No daemon starts (policy-rc.d, or no init at all).
    echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
    $APT update
    # shellcheck disable=SC2086
    $APT install -y --no-install-recommends $missing
else
    echo "apt packages already installed: $PACKAGES"
fi

# The test authorization server (scripts/stack/oidc/server.mjs): exactly the locked packages.
# oidc-provider 9 wants Node.js 20 or later (it warns "Unsupported runtime" below 22, and works).
OIDC="$REPO/scripts/stack/oidc"
node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
    echo "warning: Node.js $(node --version) is too old for oidc-provider 9 (needs 20+)" >&2
fi
if [ -d "$OIDC/node_modules/oidc-provider" ] &&
    [ "$OIDC/node_modules/.package-lock.json" -nt "$OIDC/package-lock.json" ]; then
    echo "npm packages already installed: $OIDC/node_modules"
else
    (cd "$OIDC" && npm ci --no-audit --no-fund --loglevel=error)
fi

cd "$REPO"
if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
echo "test dependencies ready: $REPO/.venv"
