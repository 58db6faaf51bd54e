#!/usr/bin/env bash
# What tardis-runc adds to a whole container's life: `ctr run --rm IMG ID true` (runc
# create, start, delete and more, as containerd calls them) on one private containerd
# (e2e/lib.sh: its own temp dir, everything removed at the end), interleaved round by
# round in a rotating order so that drift in machine load hits every variant alike:
#   runc      containerd runs the real runc
#   plain     containerd runs tardis-runc; the container does not opt in
#   opted-in  containerd runs tardis-runc; TARDIS_ENABLE=1 (no image yet: a fresh create,
#             and delete decides the image's fate)
# Printed: median and p90 per variant, the ratios to runc, and then, from one more run of
# each with log_level INFO, which runc calls reached the full program (tardis-runc-handler)
# rather than runc directly: where the added time goes.
#
#   bazel run -c opt //bench:lifecycle_bench [-- --rounds 30]   (as root)
# Not a test: it asserts nothing about time.
set -euo pipefail

rounds=30
while (($#)); do
  case $1 in
    --rounds) rounds=$2; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "lifecycle_bench: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

if [[ -n ${RUNFILES_DIR:-} && -d $RUNFILES_DIR/tardis ]]; then
  R=$RUNFILES_DIR/tardis
elif [[ -d $0.runfiles/tardis ]]; then
  R=$0.runfiles/tardis
else
  R=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
fi
export TARDIS_BIN_DIR=${TARDIS_BIN_DIR:-$R/cmd}
export TARDIS_E2E_DIR=${TARDIS_E2E_DIR:-$R/e2e}
# shellcheck source=../e2e/lib.sh
source "$R/e2e/lib.sh"

begin_test
CONFIG=$(write_tardis_config a log_level=WARNING)  # the default: what nodes run with
start_containerd a --tardis-config "$CONFIG"
build_busybox_image a
TARDIS_RUNC=$(e2e_binary tardis-runc)

now_ns() { date +%s%N; }
# life VARIANT ID: one container's whole life through containerd.
life() {
  local runc=$TARDIS_RUNC
  local -a env=()
  case $1 in
    runc) runc=$REAL_RUNC ;;
    opted-in) env=(--env TARDIS_ENABLE=1) ;;
  esac
  ctr_ a run --rm --runc-binary "$runc" --runc-root "$E2E_TMP/a/runc" "${env[@]}" "$E2E_IMAGE" "$2" true \
    </dev/null >/dev/null
}

variants=(runc plain opted-in)
for variant in "${variants[@]}"; do life "$variant" "warm-$variant"; done
declare -A samples=()
for round in $(seq 1 "$rounds"); do
  for k in 0 1 2; do
    variant=${variants[$(((round + k) % 3))]}
    started=$(now_ns)
    life "$variant" "r$round-$variant"
    samples[$variant]+=" $((($(now_ns) - started) / 1000))"
  done
done

# Which calls reach the handler: it logs each at INFO ("received: ..."), runc direct
# calls leave no line.
sed -i 's/^log_level = .*//' "$CONFIG"
echo "log_level = INFO" >>"$CONFIG"
for variant in plain opted-in; do life "$variant" "trace-$variant"; done
handled() {
  grep "received: " "$(tardis_log a)" | grep -- " $1\$" |
    awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^(create|start|delete|resume|state|kill|checkpoint|restore|pause|ps|exec|features)$/) {
             c = $i; if ($(i + 1) == "--force") c = c " --force"; print c; break } }' | paste -sd, -
}

stats() { tr ' ' '\n' <<<"$1" | sed '/^$/d' | sort -n |
  awk '{ v[NR] = $1 } END { printf "%.1f %.1f", v[int((NR + 1) / 2)] / 1000, v[int(NR * 0.9 + 0.5)] / 1000 }'; }
{
  echo
  echo "ctr run --rm IMG ID true, $rounds interleaved rounds, containerd $(containerd --version | awk '{print $3}'), $(nproc) CPUs"
  printf '%-10s %10s %10s %8s\n' variant "median ms" "p90 ms" ratio
  read -r base _ <<<"$(stats "${samples[runc]}")"
  for variant in "${variants[@]}"; do
    read -r median p90 <<<"$(stats "${samples[$variant]}")"
    printf '%-10s %10s %10s %8s\n' "$variant" "$median" "$p90" "$(awk -v a="$median" -v b="$base" 'BEGIN { printf "%.3f", a / b }')"
  done
  echo
  echo "calls that reached tardis-runc-handler (the rest went to runc directly):"
  echo "  plain:    $(handled trace-plain)"
  echo "  opted-in: $(handled trace-opted-in)"
}
finish_test
