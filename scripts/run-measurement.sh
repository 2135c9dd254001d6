#!/usr/bin/env bash
# Run a measurement example (C binary or Python script, given as the
# command) against the sandbox at DFX_SANDBOX_URL: the sandbox's license,
# organization, user and study, and the sample chunks in examples/chunks/.
#   scripts/run-measurement.sh COMMAND...
#   (COMMAND gets: URL LICENSE ORG EMAIL PASSWORD STUDY_ID CHUNK_FILE...)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
seed="python3 $here/sandbox-seed.py"
chunks=${DFX_CHUNKS_DIR:-$here/../examples/chunks}
"$@" "$DFX_SANDBOX_URL" "$($seed LicenseKey)" "$($seed Organization)" "$($seed Email)" "$($seed Password)" \
    "$($seed StudyID)" "$chunks"/chunk-*.bin
