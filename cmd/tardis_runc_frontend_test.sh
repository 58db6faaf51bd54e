#!/usr/bin/env bash
# tardis-runc's front-end, as built: which calls it execs runc for directly and which it
# hands to tardis-runc-handler, that either way runc gets the identical argv (argv[0]
# included) and environment, and how it fails (no handler beside it, real_runc pointing
# back at Tardis). A fake runc prints what it received. No root needed.
set -euo pipefail

RUNFILES=${TEST_SRCDIR:?run under bazel test}/${TEST_WORKSPACE:-tardis}
FRONT_END=$(readlink -f "$RUNFILES/cmd/tardis-runc")
HANDLER=$(readlink -f "$RUNFILES/cmd/tardis-runc-handler")
FAKE_RUNC=$(readlink -f "$RUNFILES/cmd/fake_runc")
T=$(mktemp -d "${TEST_TMPDIR:-/tmp}/frontend.XXXXXX")
trap 'rm -rf "$T"' EXIT

failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# Two installations: the front-end with its handler, and the front-end alone (so a call
# that reaches for the handler shows as exit 127).
mkdir -p "$T/full" "$T/alone" "$T/link" "$T/state"
cp "$FRONT_END" "$HANDLER" "$T/full/"
cp "$FRONT_END" "$T/alone/"
ln -s "$T/full/tardis-runc" "$T/link/runc"

write_config() {  # write_config FILE [LINE...]
  local file=$1; shift
  {
    echo "log_file = $T/tardis.log"
    echo "state_dir = $T/state"
    echo "checkpoint_base = $T/checkpoints"
    echo "delete_wait_ms = 0"
    printf '%s\n' "$@"
  } >"$file"
}
write_config "$T/fake.conf" "real_runc = $FAKE_RUNC" "log_level = WARNING"

# run BINARY ARGS...: runs BINARY with argv[0] "runc" and a small fixed environment;
# sets $status, $out (stdout) and $err (stderr).
run() {
  local binary=$1; shift
  set +e
  out=$(env -i PATH=/usr/bin:/bin TARDIS_CONFIG="$CONFIG" PROBE='a b=c' \
        bash -c 'exec -a runc "$@"' - "$binary" "$@" 2>"$T/stderr")
  status=$?
  set -e
  err=$(cat "$T/stderr")
}

# What the fake runc prints when run directly: what runc must get through tardis-runc.
expect_runc() {
  run "$FAKE_RUNC" "$@"
  want="$status|$out|$err"
}

check_direct() {  # the front-end execs runc itself: works without the handler
  local what=$1; shift
  expect_runc "$@"
  run "$T/alone/tardis-runc" "$@"
  [[ "$status|$out|$err" == "$want" ]] || fail "$what: alone: expected runc directly, got exit $status: $err"
  run "$T/full/tardis-runc" "$@"
  [[ "$status|$out|$err" == "$want" ]] || fail "$what: with handler: got exit $status: $out $err"
  run "$T/link/runc" "$@"
  [[ "$status|$out|$err" == "$want" ]] || fail "$what: through a symlink: got exit $status: $out $err"
}

check_handler() {  # the front-end hands the call to the full program, which runs runc
  local what=$1; shift
  run "$T/alone/tardis-runc" "$@"
  [[ $status == 127 && $err == "tardis-runc: cannot run $T/alone/tardis-runc-handler (errno 2); it must be installed beside tardis-runc" && -z $out ]] ||
    fail "$what: alone: expected exit 127 and one line, got exit $status: $out $err"
  expect_runc "$@"
  run "$T/full/tardis-runc" "$@"
  [[ "$status|$out|$err" == "$want" ]] || fail "$what: with handler: got exit $status: $out $err"
  run "$T/link/runc" "$@"
  [[ "$status|$out|$err" == "$want" ]] || fail "$what: through a symlink: got exit $status: $out $err"
}

CONFIG=$T/fake.conf
root=(--root /run/containerd/runc/default --log /run/containerd/io.containerd.runtime.v2.task/default/p1/log.json --log-format json)
check_direct "--version" --version
check_direct "no argument"
check_direct "state" "${root[@]}" state p1
check_direct "kill" "${root[@]}" kill p1 9
check_direct "ps" "${root[@]}" ps --format json p1
check_direct "exec" "${root[@]}" exec --process /tmp/p.json --detach --pid-file /tmp/p.pid p1
check_direct "odd but understood" -root=/r --debug=false --rootless auto list -q
# start, resume and delete: runc directly while Tardis keeps nothing for the container
# (<state_dir>/containers/<ns>/<id>), the handler as soon as anything is there.
check_direct "start, nothing kept" "${root[@]}" start p1
check_direct "resume, nothing kept" "${root[@]}" resume p1
check_direct "delete, nothing kept" "${root[@]}" delete p1
check_direct "delete --force, nothing kept" "${root[@]}" delete --force p1
check_handler "delete of an id not usable in paths" "${root[@]}" delete .p1
mkdir -p "$T/state/containers/default/p1"
check_direct "start, state kept but no skip-start flag" "${root[@]}" start p1
check_direct "resume, state kept but no skip-resume flag" "${root[@]}" resume p1
check_handler "delete --force, state kept" "${root[@]}" delete --force p1
# A flag there: the handler's, which consumes it and does not call runc at all.
for call in start resume; do
  flag=$T/state/containers/default/p1/skip-$call
  touch "$flag"
  run "$T/alone/tardis-runc" "${root[@]}" "$call" p1
  [[ $status == 127 ]] || fail "$call with its skip flag: alone: expected the handler (127), got exit $status"
  run "$T/full/tardis-runc" "${root[@]}" "$call" p1
  [[ $status == 0 && -z $out && ! -e $flag ]] ||
    fail "$call with its skip flag: expected the handler to skip runc and consume the flag, got exit $status: $out"
done
check_direct "start of another namespace's p1" --root /run/containerd/runc/other start p1
rm -r "$T/state/containers/default/p1"
ln -s /nonexistent "$T/state/containers/default/p1"
check_handler "delete, a dangling symlink kept" "${root[@]}" delete p1
rm "$T/state/containers/default/p1"
chmod 0 "$T/state/containers/default"
if [[ $(id -u) != 0 ]]; then  # root reads through mode 0
  check_handler "delete, state dir unreadable" "${root[@]}" delete p1
fi
chmod 0755 "$T/state/containers/default"

# create: runc directly when Tardis keeps nothing for the container and its config.json
# certainly does not opt in; the handler when it may (even with TARDIS_ENABLE spelled in
# JSON escapes), when config.json cannot be read, or when state is kept.
bundle() {  # bundle NAME CONFIG_JSON: a bundle dir with that config.json
  mkdir -p "$T/bundles/$1"
  printf '%s' "$2" >"$T/bundles/$1/config.json"
}
bundle plain '{"process":{"env":["PATH=/bin","HTML=\u003cb\u003e"]}}'
bundle enabled '{"process":{"env":["PATH=/bin","TARDIS_ENABLE=1"]}}'
bundle escaped '{"process":{"env":["PATH=/bin","\u0054ARDIS_ENABLE=1"]}}'
mkdir -p "$T/bundles/none"
create=(create --pid-file "$T/init.pid" --bundle)
check_direct "create, not opted in" "${root[@]}" "${create[@]}" "$T/bundles/plain" n1
check_direct "create with a console socket" "${root[@]}" create --bundle "$T/bundles/plain" --console-socket /s.sock n1
check_handler "create, opted in" "${root[@]}" "${create[@]}" "$T/bundles/enabled" n2
check_handler "create, TARDIS_ENABLE escaped" "${root[@]}" "${create[@]}" "$T/bundles/escaped" n3
check_handler "create, no config.json" "${root[@]}" "${create[@]}" "$T/bundles/none" n4
mkdir -p "$T/state/containers/default/n5"
check_handler "create, state kept" "${root[@]}" "${create[@]}" "$T/bundles/plain" n5
head -c 1100000 /dev/zero | tr '\0' ' ' >>"$T/bundles/plain/config.json"
check_handler "create, config.json over 1 MiB" "${root[@]}" "${create[@]}" "$T/bundles/plain" n6
check_handler "unknown option" --nosuchoption list
check_handler "unknown command" nosuchcommand
check_handler "--" -- list
check_handler "bad boolean" --debug=maybe list

# The config decides too.
write_config "$T/debug.conf" "real_runc = $FAKE_RUNC" "log_level = debug"
CONFIG=$T/debug.conf
check_handler "DEBUG" --version
grep -q "pass-through: --version" "$T/tardis.log" || fail "DEBUG: the handler did not log the pass-through"
write_config "$T/problem.conf" "real_runc = $FAKE_RUNC" "log_level = WARNING" "favourite_colour = blue"
CONFIG=$T/problem.conf
check_handler "a config line the full parser reports" --version
grep -q "unknown key: favourite_colour" "$T/tardis.log" || fail "the handler did not log the config problem"
write_config "$T/big.conf" "real_runc = $FAKE_RUNC"
head -c 70000 /dev/zero | tr '\0' '#' >>"$T/big.conf"
CONFIG=$T/big.conf
run "$T/alone/tardis-runc" --version
[[ $status == 127 ]] || fail "oversized config: expected the handler, got exit $status"
CONFIG=$T  # a directory: unreadable
run "$T/alone/tardis-runc" --version
[[ $status == 127 ]] || fail "unreadable config: expected the handler, got exit $status"
if [[ -x /usr/sbin/runc ]]; then  # no config file: the defaults, /usr/sbin/runc
  CONFIG=$T/absent.conf
  expect_runc_default() { run /usr/sbin/runc --version; want="$status|$out|$err"; }
  expect_runc_default
  run "$T/alone/tardis-runc" --version
  [[ "$status|$out|$err" == "$want" ]] || fail "missing config: expected /usr/sbin/runc directly, got exit $status: $err"
fi

# real_runc is Tardis itself, under any name: one line, exit 1, never a loop.
for target in "$T/full/tardis-runc" "$T/full/tardis-runc-handler" "$T/link/runc" "$T/full/renamed-copy"; do
  [[ -e $target ]] || cp "$FRONT_END" "$target"
  write_config "$T/self.conf" "real_runc = $target"
  CONFIG=$T/self.conf
  for args in "state p1" "start p1"; do
    set +e
    # shellcheck disable=SC2086
    err=$(env -i TARDIS_CONFIG="$CONFIG" timeout 20 "$T/full/tardis-runc" $args 2>&1 >/dev/null)
    status=$?
    set -e
    [[ $status == 1 && $err == "tardis-runc: real_runc ($target) is tardis-runc itself; set real_runc in the Tardis config to the real runc" ]] ||
      fail "real_runc = $target, $args: expected exit 1 and the refusal, got exit $status: $err"
  done
done

# real_runc missing: the full program says so (exit 127).
write_config "$T/missing.conf" "real_runc = $T/no-such-runc"
CONFIG=$T/missing.conf
run "$T/full/tardis-runc" state p1
[[ $status == 127 && $err == "tardis-runc: real_runc not found: $T/no-such-runc" ]] ||
  fail "missing real_runc: expected exit 127 and one line, got exit $status: $err"

# The full program recognizes a front-end by the marker in its first page.
grep -q "tardis-runc: libc-free front-end, v1" <(head -c 4096 "$FRONT_END") ||
  fail "the front-end's marker is not in its first 4 KiB"
if grep -q "tardis-runc: libc-free front-end, v1" <(head -c 4096 "$HANDLER"); then
  fail "the handler carries the front-end's marker"
fi

if ((failures)); then
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "all front-end checks passed"
