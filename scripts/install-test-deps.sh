#!/bin/sh
# Install what the test suite needs on Debian/Ubuntu (CI: Debian 12, as root, no systemd/init):
# the real mail stack of scripts/stack.py (Dovecot, Postfix, openssl), msmtp and swaks as peer
# clients, then pysmail itself with its test extras into .venv (scripts/test runs .venv/bin/python;
# Debian's own python3 refuses pip installs, PEP 668). Idempotent: safe to run again.
#
#   sh scripts/install-test-deps.sh        # as root, or with sudo available
set -eu

REPO=$(cd "$(dirname "$0")/.." && pwd)

SUDO=
if [ "$(id -u)" -ne 0 ]; then
    SUDO=sudo
fi

PACKAGES="dovecot-core dovecot-submissiond dovecot-pop3d dovecot-lmtpd postfix msmtp swaks openssl"
if ! python3 -c "import ensurepip, venv" 2>/dev/null; then
    PACKAGES="$PACKAGES python3-venv"  # Debian splits venv/ensurepip out of python3
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

cd "$REPO"
if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
echo "test dependencies ready: $REPO/.venv"
