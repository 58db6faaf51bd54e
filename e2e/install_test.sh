#!/usr/bin/env bash
# tardisctl install / uninstall / log on real files and a real containerd. Every path
# install and uninstall touch is pointed into $E2E_TMP: the machine's own containerd
# config, PATH and /etc are never touched.
#
# 1. --mode config, then uninstall, leaves containerd's config byte for byte (and mode)
#    as it was: containerd's own `config default`, an absent config (created, then
#    removed), and a config that already sets BinaryName (commented out, then restored).
#    A config changed after install loses only Tardis's marked lines.
# 2. The installed config works: a private containerd with the CRI plugin, started with
#    it, creates its pods through the installed tardis-runc (the Tardis log shows the
#    create of the pod's sandbox); once uninstalled, a new pod no longer goes through it.
#    (BinaryName is the CRI plugin's; ctr does not read it, so the pod is made through
#    the CRI API, with e2e/cri/cri.py.)
# 3. --mode path: `runc` in a temp sbin dir becomes tardis-runc, and a containerd whose
#    PATH has that dir first runs opted-in containers through it; something else already
#    there is refused unless --force, and put back by uninstall.
# 4. tardisctl log: shows, changes and restores log_level and log_file, one line each.
#
# Run directly (as root): bazel build //cmd:all //e2e/... &&
#   TARDIS_BIN_DIR=$PWD/bazel-bin/cmd TARDIS_E2E_DIR=$PWD/bazel-bin/e2e bash e2e/install_test.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

begin_test
require_tool cmp jq
TARDISCTL=$(e2e_binary tardisctl)
W=$E2E_TMP/w
# tardisctl's own log goes to this test's files, never the machine's.
export TARDIS_CONFIG
TARDIS_CONFIG=$(write_tardis_config a)

# tardisctl ARGS...: through `run` ($status, $output, $errors).
tardisctl() { run "$TARDISCTL" "$@"; }

# install_paths NAME [TARDIS_CONFIG]: the install options that keep case NAME's files
# under $W/NAME (systemd never runs there: its directory does not exist).
install_paths() {
  local d=$W/$1
  echo --prefix "$d/lib/tardis" --install-dir "$d/var/install" --tardis-config "${2:-$d/etc/tardis.conf}" \
    --systemd-dir "$d/run/systemd/system" --unit-dir "$d/etc/systemd" --real-runc "$REAL_RUNC"
}

# file_state FILE: its bytes' checksum and its mode, or "absent".
file_state() { if [[ -e $1 ]]; then echo "$(md5sum <"$1") $(stat -c %a "$1")"; else echo absent; fi; }

# config_round_trip NAME CONFIG [INSTALL_OPTION...]: install and uninstall in config mode
# leave CONFIG as it was (bytes and mode), and nothing else of theirs under $W/NAME.
config_round_trip() {
  local name=$1 config=$2 before listing; shift 2
  mkdir -p "$W/$name"
  before=$(file_state "$config")
  listing=$(find "$W/$name" | sort)
  # shellcheck disable=SC2046
  tardisctl install --containerd-config "$config" $(install_paths "$name") "$@"
  assert_status 0 "$name: install"
  assert_contains "$output" "BinaryName = $W/$name/lib/tardis/tardis-runc"
  assert_contains "$output" "systemd is not running: restart containerd"
  assert_file_contains "$config" "BinaryName = \"$W/$name/lib/tardis/tardis-runc\" # added by tardisctl install"
  for binary in tardis-runc tardis-runc-handler tardis-listen tardisctl; do
    cmp "$(e2e_binary "$binary")" "$W/$name/lib/tardis/$binary" || fail "$name: $binary was not copied"
  done
  assert_file_contains "$W/$name/etc/tardis.conf" "real_runc = $REAL_RUNC"
  tardisctl uninstall --install-dir "$W/$name/var/install"
  assert_status 0 "$name: uninstall"
  assert_eq "$before" "$(file_state "$config")" "$name: $config after uninstall"
  assert_eq "$listing" "$(find "$W/$name" | sort)" "$name: the files after uninstall"
}

# ---------------------------------------------------------------------------------------
log "--- 1. config mode: install and uninstall restore the config exactly"
mkdir -p "$W/default/etc/containerd"
containerd config default >"$W/default/etc/containerd/config.toml"
chmod 0640 "$W/default/etc/containerd/config.toml"
cp -p "$W/default/etc/containerd/config.toml" "$W/default/original.toml"
config_round_trip default "$W/default/etc/containerd/config.toml"
cmp "$W/default/original.toml" "$W/default/etc/containerd/config.toml" || fail "containerd's default config changed"
log "the same with --runtime-handler tardis: a runtime of Tardis's own beside runc"
config_round_trip default "$W/default/etc/containerd/config.toml" --runtime-handler tardis
cmp "$W/default/original.toml" "$W/default/etc/containerd/config.toml" || fail "containerd's default config changed"

config_round_trip absent "$W/absent/etc/containerd/config.toml"
assert_file_missing "$W/absent/etc/containerd"

mkdir -p "$W/crun"
printf 'version = 2\r\n\r\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]\r\n  BinaryName = "/usr/local/bin/crun"\r\n  SystemdCgroup = true' \
  >"$W/crun/config.toml"
cp -p "$W/crun/config.toml" "$W/crun/original.toml"
config_round_trip crun "$W/crun/config.toml"
cmp "$W/crun/original.toml" "$W/crun/config.toml" || fail "a config with BinaryName changed"

log "config changed after install: only Tardis's lines go"
mkdir -p "$W/changed"
printf 'version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]\n  BinaryName = "/usr/bin/runc"\n' \
  >"$W/changed/config.toml"
# shellcheck disable=SC2046
tardisctl install --containerd-config "$W/changed/config.toml" $(install_paths changed)
assert_status 0
tardisctl install --containerd-config "$W/changed/config.toml" $(install_paths changed)
assert_status 1 "a second install"
assert_contains "$errors" "already installed"
echo '[debug]' >>"$W/changed/config.toml"
tardisctl uninstall --install-dir "$W/changed/var/install"
assert_status 0
assert_contains "$output" "was changed since install: took out only the lines tardisctl install marked"
assert_eq "$(printf 'version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]\n  BinaryName = "/usr/bin/runc"\n[debug]')" \
  "$(cat "$W/changed/config.toml")" "a config changed after install, after uninstall"
tardisctl uninstall --install-dir "$W/changed/var/install"
assert_status 1 "uninstall with nothing installed"
assert_contains "$errors" "nothing to uninstall"

# ---------------------------------------------------------------------------------------
log "--- 2. the installed config makes containerd's CRI plugin run tardis-runc"
# BinaryName is the CRI plugin's (ctr does not read it): pods are made through the CRI API.
B=$E2E_TMP/b
CRI_CONFIG=$(cri_containerd_config b)
cp -p "$CRI_CONFIG" "$W/cri-original.toml"
# DEBUG: the handler logs every call it is given, and the front-end gives it every call
# (a pause container's create would otherwise go to runc directly, leaving no trace).
CRI_TARDIS_CONFIG=$(write_tardis_config b log_level=DEBUG)
# shellcheck disable=SC2046
tardisctl install --containerd-config "$CRI_CONFIG" $(install_paths cri "$CRI_TARDIS_CONFIG")
assert_status 0 "install for the CRI node"
assert_contains "$output" "kept the existing $CRI_TARDIS_CONFIG"

start_cri_containerd b --config "$CRI_CONFIG" --tardis-config "$CRI_TARDIS_CONFIG"
assert_file_contains "$B/containerd.log" "BinaryName:$W/cri/lib/tardis/tardis-runc"
mapfile -t pod_options < <(cri_pod_options b pod-installed uid-pod-installed)
pod=$(cri_run_pod b "" "${pod_options[@]}")
log "pod sandbox $pod"
[[ $pod =~ ^[0-9a-f]{64}$ ]] || fail "not a sandbox id: $pod"
creates=$(grep -F "received:" "$(tardis_log b)" | grep -F " create " | grep -cF "/k8s.io/$pod" || true)
assert_eq 1 "$creates" "creates of the pod's sandbox that went through tardis-runc"
stop_containerd b

tardisctl uninstall --install-dir "$W/cri/var/install"
assert_status 0
cmp "$W/cri-original.toml" "$CRI_CONFIG" || fail "the CRI config after uninstall"
start_cri_containerd b --config "$CRI_CONFIG" --tardis-config "$CRI_TARDIS_CONFIG"
mapfile -t pod_options < <(cri_pod_options b pod-uninstalled uid-pod-uninstalled)
pod2=$(cri_run_pod b "" "${pod_options[@]}")
log "pod sandbox $pod2"
[[ $pod2 =~ ^[0-9a-f]{64}$ ]] || fail "not a sandbox id: $pod2"
assert_not_contains "$(cat "$(tardis_log b)")" "$pod2" "after uninstall, the pod's runc calls in the Tardis log"

# ---------------------------------------------------------------------------------------
log "--- 3. path mode: runc in PATH"
P=$W/path
mkdir -p "$P/sbin"
echo "#!/bin/sh" >"$P/sbin/unrelated" && chmod 0755 "$P/sbin/unrelated"
sbin_before=$(tree_snapshot "$P/sbin")
PATH_TARDIS_CONFIG=$(write_tardis_config c)
# shellcheck disable=SC2046
tardisctl install --mode path --sbin "$P/sbin" $(install_paths path "$PATH_TARDIS_CONFIG")
assert_status 0 "install --mode path"
assert_eq "$W/path/lib/tardis/tardis-runc" "$(readlink "$P/sbin/runc")" "the runc symlink"
PATH=$P/sbin:$PATH start_containerd c --tardis-config "$PATH_TARDIS_CONFIG"
build_busybox_image c
run_container c via-path --runc runc --env TARDIS_ENABLE=1 -- /bin/counter /count
wait_for task_status_is c via-path RUNNING
assert_contains "$(cat "$(tardis_log c)")" "$E2E_NAMESPACE/via-path: no image in"
remove_container c via-path
tardisctl uninstall --install-dir "$W/path/var/install"
assert_status 0
assert_eq "$sbin_before" "$(tree_snapshot "$P/sbin")" "the sbin dir after uninstall"

log "path mode: someone else's runc"
printf '#!/bin/sh\nexec %s "$@"\n' "$REAL_RUNC" >"$P/sbin/runc" && chmod 0750 "$P/sbin/runc"
sbin_before=$(tree_snapshot "$P/sbin")
# shellcheck disable=SC2046
tardisctl install --mode path --sbin "$P/sbin" $(install_paths path)
assert_status 1 "install over someone else's runc"
assert_contains "$errors" "already exists and is not Tardis's: pass --force"
assert_eq 1 "$(wc -l <<<"$errors")" "lines on stderr"
assert_eq "$sbin_before" "$(tree_snapshot "$P/sbin")" "the sbin dir after a refused install"
# shellcheck disable=SC2046
tardisctl install --mode path --sbin "$P/sbin" $(install_paths path) --force
assert_status 0 "install --force"
assert_eq "$W/path/lib/tardis/tardis-runc" "$(readlink "$P/sbin/runc")" "the runc symlink"
tardisctl uninstall --install-dir "$W/path/var/install"
assert_status 0
assert_contains "$output" "put back the previous $P/sbin/runc"
assert_eq "$sbin_before" "$(tree_snapshot "$P/sbin")" "the sbin dir after uninstall"

# ---------------------------------------------------------------------------------------
log "--- 4. tardisctl log"
CONF=$W/log/tardis.conf
mkdir -p "$W/log"
printf '# my node\nreal_runc = /usr/sbin/runc   # the real one\nlog_level = WARNING\nlog_file = %s\nstate_dir = /run/tardis\n' "$W/log/tardis.log" >"$CONF"
cp -p "$CONF" "$W/log/original"
tardisctl --config "$CONF" log
assert_status 0
assert_eq "log_level = WARNING"$'\n'"log_file = $W/log/tardis.log"$'\n'"(from $CONF)" "$output"
tardisctl --config "$CONF" log --level debug --file "$W/log/debug.log"
assert_status 0
assert_eq "log_level = DEBUG"$'\n'"log_file = $W/log/debug.log"$'\n'"(written to $CONF)" "$output"
assert_eq "$(printf '3,4c3,4\n< log_level = WARNING\n< log_file = %s\n---\n> log_level = DEBUG\n> log_file = %s' "$W/log/tardis.log" "$W/log/debug.log")" \
  "$(diff "$W/log/original" "$CONF" || true)" "the config after tardisctl log"
TARDIS_CONFIG=$CONF tardisctl log --level warning --file "$W/log/tardis.log"
assert_status 0
cmp "$W/log/original" "$CONF" || fail "tardisctl log did not restore the config byte for byte"
tardisctl --config "$CONF" log --level chatty
assert_status 2 "a bad level"
assert_eq "tardisctl log: log level must be DEBUG, INFO, WARNING or ERROR, not \`chatty\` (see tardisctl log --help)" "$errors"
tardisctl --config "$CONF" log --file relative.log
assert_status 2 "a relative log file"
cmp "$W/log/original" "$CONF" || fail "a refused tardisctl log changed the config"
tardisctl --config "$W/log/new/tardis.conf" log --level INFO
assert_status 0 "log into a config that does not exist yet"
assert_eq "log_level = INFO" "$(cat "$W/log/new/tardis.conf")" "a new config"

for command in "" finalize status install uninstall log; do
  # shellcheck disable=SC2086
  tardisctl $command --help
  assert_status 0 "tardisctl $command --help"
  assert_contains "$output" "usage: tardisctl"
done
tardisctl install --mode sideways
assert_status 2
assert_eq "tardisctl install: --mode must be config or path, not \`sideways\` (see tardisctl install --help)" "$errors"
tardisctl install --mode path --runtime-handler tardis
assert_status 2
assert_eq "tardisctl install: --runtime-handler only applies to --mode config (see tardisctl install --help)" "$errors"
tardisctl install --runtime-handler Tardis_1
assert_status 2
assert_contains "$errors" "the runtime handler must be a DNS label"

finish_test
