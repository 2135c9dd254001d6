#!/usr/bin/env bash
# The README's C section, followed literally from a fresh clone, so that it
# cannot rot: every fenced block the README marks with
#   <!-- readme-test: file NAME -->   (the block is written to NAME)
#   <!-- readme-test: run -->         (the block's commands are run, in order)
# is extracted and run in a clone of this checkout (HEAD plus the
# uncommitted changes to tracked files), under `bash -e`: a failing command
# fails the test. One liberty: the sandbox's port 8080 becomes a free port,
# so that parallel runs do not collide.
#
# It also proves that a program linked with -ldfx from target/release runs
# with no hand-made libdfx.so.0 link (build.rs makes it): the link is
# removed before the README's commands run, and no README command makes it.
#
# The clone's target/ is the checkout's own (shared with the Python wheel's
# release build), so only dfx itself is rebuilt (release, LTO).
#   scripts/test-readme.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$root/build/readme
clone=$work/dfx
fail() { echo "test-readme: $*" >&2; exit 1; }

rm -rf "$clone"
mkdir -p "$root/target"
git clone --quiet --no-local "$root" "$clone"
changes=$(git -C "$root" diff HEAD --binary)
[ -z "$changes" ] || (cd "$clone" && printf '%s\n' "$changes" | git apply)
# The checkout's own target/: the dependencies are built once for every
# release build of the test command (this one, the Python wheel's).
ln -s "$root/target" "$clone/target"

# The marked blocks, in README order.
mkdir -p "$work/extract"
rm -f "$work/extract"/*
awk -v out="$work/extract" '
    /^<!-- readme-test: file [^ ]+ -->$/ { mode = "file"; name = $4; next }
    /^<!-- readme-test: run -->$/        { mode = "run"; next }
    /^```/ && mode != "" && !inside      { inside = 1; n++; target = (mode == "file") ? out "/file." name : out "/run." sprintf("%02d", n); next }
    /^```/ && inside                     { inside = 0; mode = ""; next }
    inside                               { print > target }
' "$clone/README.md"
ls "$work/extract"/run.* >/dev/null 2>&1 || fail "README.md marks no block to run"
ls "$work/extract"/file.* >/dev/null 2>&1 || fail "README.md marks no file"
! grep -h 'ln -s' "$work/extract"/run.* || fail "a README command makes a link by hand"

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
free_port() { sed -e "s/127\.0\.0\.1:8080/127.0.0.1:$port/g" -e "s/--port 8080/--port $port/g" "$1"; }
for f in "$work/extract"/file.*; do
    free_port "$f" > "$clone/${f##*/file.}"
done
{
    # Whatever happens, the background jobs (the sandbox) end with the script.
    echo 'trap '"'"'kill $(jobs -p) 2>/dev/null || true'"'"' EXIT'
    echo "rm -f target/release/libdfx.so.[0-9]*"
    for f in "$work/extract"/run.*; do
        free_port "$f"
        # A block that starts the sandbox in the background: wait for it.
        if grep -q '&[[:space:]]*\(#.*\)\{0,1\}$' "$f"; then
            echo "for _ in \$(seq 1 100); do (echo > /dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done"
        fi
    done
} > "$work/commands.sh"

echo "test-readme: running the README's C section in $clone (sandbox port $port):"
sed 's/^/    /' "$work/commands.sh"
cd "$clone"
bash -e "$work/commands.sh"
echo "test-readme: the README's C section works as written"
