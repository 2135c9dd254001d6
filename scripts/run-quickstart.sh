#!/usr/bin/env bash
# Run a quickstart (C binary or Python script, given as the command) through
# the whole lifecycle against the sandbox at DFX_SANDBOX_URL, feeding it the
# login code the sandbox "sent by SMS" as a user would type it.
#   scripts/run-quickstart.sh COMMAND...   (COMMAND gets: URL LICENSE ORG PHONE SESSION_FILE)
set -euo pipefail
seed="python3 $(dirname "$0")/sandbox-seed.py"
license=$($seed LicenseKey)
org=$($seed Organization)
phone=$($seed PhoneNumber)
session_file=$(mktemp -d)/dfx-session.json
trap 'rm -rf "$(dirname "$session_file")"' EXIT
$seed login-code "$phone" | "$@" "$DFX_SANDBOX_URL" "$license" "$org" "$phone" "$session_file"
