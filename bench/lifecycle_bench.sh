#!/usr/bin/env bash
# What tardis-runc adds to a whole container's life: `ctr run --rm IMG ID CMD` (runc
# create, start, delete and more, as containerd calls them) on one private containerd
# (e2e/lib.sh: its own temp dir, everything removed at the end), interleaved round by
# round in a rotating order so that drift in machine load hits every variant alike:
#   runc      containerd runs the real runc; CMD true
#   plain     containerd runs tardis-runc; the container does not opt in; CMD true
#   opted-in  containerd runs tardis-runc; TARDIS_ENABLE=1, no image yet: a fresh create
#             (CMD true), and delete decides the image's fate
#   runc-0.2s containerd runs the real runc; CMD sleep 0.2
#   restore   tardis-runc, opted in, with an image of the job: create restores it; CMD a
#             process that lives 0.2 s once restored and exits 3, so the image stays
#             for the next round (e2e/workloads/exit_when_restored.c)
#   with --before DIR (DIR holds tardis-runc and tardis-runc-handler of another build,
#   e.g. an older commit's `bazel build -c opt //cmd:tardis-runc //cmd:tardis-runc-handler`):
#   plain-before, opted-in-before, restore-before  the same lives through that build, in
#   the same rounds (restore-before restores the same image)
#   --variants a,b,...: only those (runc, the baseline, always runs): more rounds of the
#   ones in question in the same time
# Printed: median and p90 per variant, the ratio of medians to runc (restore: to
# runc-0.2s, the same life without Tardis) and the paired ratio: the median, and the
# quartiles, of each round's variant/baseline (adjacent lives, so a slow stretch of the
# machine cancels out): the figure to judge a target by; then, from more lives of
# each with log_level INFO, which runc calls reached the full program (the rest went to
# runc directly) and where the handler's time went, step by step (its "time:" lines);
# and the fixed cost of each program on the way, from `--version` calls run directly:
# runc, the front-end passing it to runc, the handler passing it to runc.
#
#   bazel run -c opt //bench:lifecycle_bench [-- --rounds 30 --traces 10 --calls 200 --before DIR --variants LIST]
#   (as root)
# Not a test: it asserts nothing about time.
set -euo pipefail

rounds=30
traces=10
calls=200
before=""
only=""
while (($#)); do
  case $1 in
    --before) before=$(cd "$2" && pwd); shift 2 ;;
    --variants) only=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --traces) traces=$2; shift 2 ;;
    --calls) calls=$2; shift 2 ;;
    -h|--help) sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "lifecycle_bench: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

# bench/lib.sh (the e2e harness, the binaries, the options): from the runfiles, else beside
# this script in the tree.
for BENCH_LIB in ${RUNFILES_DIR:+"$RUNFILES_DIR/tardis/bench/lib.sh"} "$0.runfiles/tardis/bench/lib.sh" \
  "$(dirname "${BASH_SOURCE[0]}")/lib.sh"; do
  [[ -f $BENCH_LIB ]] && break
done
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$BENCH_LIB"

begin_test
CONFIG=$(write_tardis_config a log_level=WARNING)  # the default: what nodes run with
start_containerd a --tardis-config "$CONFIG"
build_busybox_image a
TARDIS_RUNC=$(e2e_binary tardis-runc)
RESTORE_JOB=(--env TARDIS_ENABLE=1 --env TARDIS_CHECKPOINT_ID=bench-restore)
if [[ -n $before ]]; then
  # The front-end execs the handler beside it: the other build's pair, side by side.
  mkdir -p "$E2E_TMP/before"
  cp "$before/tardis-runc" "$before/tardis-runc-handler" "$E2E_TMP/before/"
  BEFORE_RUNC=$E2E_TMP/before/tardis-runc
fi

now_ns() { date +%s%N; }
# life VARIANT ID: one container's whole life through containerd.
life() {
  local runc=$TARDIS_RUNC want=0 status=0
  local -a env=() command=(true)
  case $1 in
    runc) runc=$REAL_RUNC ;;
    runc-0.2s) runc=$REAL_RUNC command=(sleep 0.2) ;;
    opted-in) env=(--env TARDIS_ENABLE=1) ;;
    plain-before) runc=$BEFORE_RUNC ;;
    opted-in-before) runc=$BEFORE_RUNC env=(--env TARDIS_ENABLE=1) ;;
    restore) env=("${RESTORE_JOB[@]}") command=(/bin/exit_when_restored) want=3 ;;
    restore-before) runc=$BEFORE_RUNC env=("${RESTORE_JOB[@]}") command=(/bin/exit_when_restored) want=3 ;;
  esac
  ctr_ a run --rm --runc-binary "$runc" --runc-root "$E2E_TMP/a/runc" "${env[@]}" "$E2E_IMAGE" "$2" "${command[@]}" \
    </dev/null >/dev/null || status=$?
  ((status == want)) || fail "$2 exited $status, not $want$([[ $1 != restore* ]] || echo ' (3: restored; 4: created fresh)')"
}

variants=(runc plain opted-in runc-0.2s restore)
[[ -z $before ]] || variants+=(plain-before opted-in-before restore-before)
if [[ -n $only ]]; then
  chosen=(runc)
  for variant in ${only//,/ }; do
    [[ " ${variants[*]} " == *" $variant "* ]] || fail "--variants: no variant $variant (${variants[*]})"
    [[ $variant == runc ]] || chosen+=("$variant")
  done
  [[ " ${chosen[*]} " != *" restore"* || " ${chosen[*]} " == *" runc-0.2s "* ]] || chosen+=(runc-0.2s)
  variants=("${chosen[@]}")
fi
chose() { [[ " ${variants[*]} " == *" $1 "* ]]; }

if chose restore || chose restore-before; then
  # The restore variant's image: the job checkpointed once, then restored every round.
  ctr_ a run -d --runc-binary "$TARDIS_RUNC" --runc-root "$E2E_TMP/a/runc" "${RESTORE_JOB[@]}" "$E2E_IMAGE" seed \
    /bin/exit_when_restored >/dev/null
  checkpoint_container a seed task
  wait_for task_status_is a seed STOPPED
  ctr_ a tasks rm seed >/dev/null
  ctr_ a containers rm seed
  sleep 1.1  # the restored process sees the jump it waits for
fi

for variant in "${variants[@]}"; do life "$variant" "warm-$variant"; done
declare -A samples=()
for round in $(seq 1 "$rounds"); do
  for k in "${!variants[@]}"; do
    variant=${variants[$(((round + k) % ${#variants[@]}))]}
    started=$(now_ns)
    life "$variant" "r$round-$variant"
    samples[$variant]+=" $((($(now_ns) - started) / 1000))"
  done
done

# The handler logs each call it receives and, at its end, where its time went; calls
# that went to runc directly leave no line.
sed -i 's/^log_level = .*//' "$CONFIG"
echo "log_level = INFO" >>"$CONFIG"
: >"$(tardis_log a)"
for trace in $(seq 1 "$traces"); do
  for variant in plain opted-in restore; do if chose "$variant"; then life "$variant" "trace-$variant-$trace"; fi; done
done
# variant TAB call TAB step TAB milliseconds, one line per step of each handled call.
handler_steps() {
  awk '
    function call_of(i) {  # the runc command among the words from i on
      for (; i <= NF; i++) if ($i ~ /^(create|start|delete|resume|state|kill|checkpoint|restore|pause|ps|exec|features)$/)
        return $i ($(i + 1) == "--force" ? " --force" : "")
      return "?"
    }
    / received: / {
      pid = $3; sub(/.*\[/, "", pid); sub(/\].*/, "", pid)
      for (i = 1; i <= NF; i++) if ($i == "received:") break
      variant[pid] = $NF; sub(/^trace-/, "", variant[pid]); sub(/-[0-9]+$/, "", variant[pid])
      call[pid] = call_of(i + 1)
    }
    / time: / {
      pid = $3; sub(/.*\[/, "", pid); sub(/\].*/, "", pid)
      if (!(pid in variant)) next
      steps = $0; sub(/.* time: [a-z]+: /, "", steps); sub(/ ms in all$/, "", steps)
      n = split(steps, part, /, |; /)
      for (j = 1; j <= n; j++) {
        k = split(part[j], w, " ")
        name = k > 1 ? w[1] : "in all"; for (m = 2; m < k; m++) name = name " " w[m]
        printf "%s\t%s\t%s\t%s\n", variant[pid], call[pid], name, w[k]
      }
    }' "$(tardis_log a)"
}
# median of the numbers on stdin
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) printf "%.3f", v[int((NR + 1) / 2)] }'; }

# Fixed costs: each program on the way started for a call it passes on (--version).
declare -A fixed=()
fixed_programs=("$REAL_RUNC" "$TARDIS_RUNC" "$(e2e_binary tardis-runc-handler)")
for call in $(seq 1 "$calls"); do
  for k in 0 1 2; do
    started=$(now_ns)
    TARDIS_CONFIG=$CONFIG "${fixed_programs[$k]}" --version >/dev/null
    fixed[$k]+=" $((($(now_ns) - started) / 1000))"
  done
done

stats() { tr ' ' '\n' <<<"$1" | sed '/^$/d' | sort -n |
  awk '{ v[NR] = $1 } END { printf "%.1f %.1f", v[int((NR + 1) / 2)] / 1000, v[int(NR * 0.9 + 0.5)] / 1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
# paired VARIANT BASELINE: "median [q1, q3]" of the per-round ratios (both sample lists
# are in round order).
paired() {
  paste <(tr ' ' '\n' <<<"${samples[$1]}" | sed '/^$/d') <(tr ' ' '\n' <<<"${samples[$2]}" | sed '/^$/d') |
    awk '{ print $1 / $2 }' | sort -g |
    awk '{ v[NR] = $1 } END { printf "%.3f [%.3f, %.3f]", v[int((NR + 1) / 2)], v[int(NR * 0.25 + 0.75)], v[int(NR * 0.75 + 0.25)] }'
}
{
  echo
  echo "ctr run --rm IMG ID CMD, $rounds interleaved rounds, containerd $(containerd --version | awk '{print $3}'), $(nproc) CPUs"
  printf '%-16s %10s %10s %8s   %s\n' variant "median ms" "p90 ms" ratio "paired ratio [quartiles]"
  for variant in "${variants[@]}"; do
    baseline=runc
    [[ $variant != restore* ]] || baseline=runc-0.2s
    read -r base _ <<<"$(stats "${samples[$baseline]}")"
    read -r median p90 <<<"$(stats "${samples[$variant]}")"
    printf '%-16s %10s %10s %8s   %s\n' "$variant" "$median" "$p90" "$(ratio "$median" "$base")" \
      "$([[ $variant == "$baseline" ]] || paired "$variant" "$baseline")"
  done

  echo
  echo "where the handler's time went ($traces lives each, log_level INFO; median ms per step):"
  steps=$(handler_steps)
  for variant in plain opted-in restore; do
    for call in $(cut -f1,2 <<<"$steps" | awk -F'\t' -v v="$variant" '$1 == v { print $2 }' | tr ' ' '_' | sort -u); do
      line=""
      while IFS= read -r step; do
        line+="$step $(awk -F'\t' -v v="$variant" -v c="${call//_/ }" -v s="$step" '$1 == v && $2 == c && $3 == s { print $4 }' <<<"$steps" | median), "
      done < <(awk -F'\t' -v v="$variant" -v c="${call//_/ }" '$1 == v && $2 == c && !seen[$3]++ { print $3 }' <<<"$steps")
      printf '  %-9s %-15s %s\n' "$variant" "${call//_/ }" "${line%, }"
    done
  done
  echo "  (calls not listed went to runc directly; \"runc X\" is runc's own time as the handler's child)"

  echo
  echo "fixed cost per call, $calls interleaved \`--version\` calls each (median ms):"
  read -r runc_ms _ <<<"$(stats "${fixed[0]}")"
  read -r front_ms _ <<<"$(stats "${fixed[1]}")"
  read -r handler_ms _ <<<"$(stats "${fixed[2]}")"
  extra() { awk -v a="$1" -v b="$runc_ms" 'BEGIN { printf "%+.2f", a - b }'; }
  printf '  %-50s %8s\n' "runc" "$runc_ms"
  printf '  %-50s %8s  %s\n' "front-end, then runc (a call passed straight on)" "$front_ms" "$(extra "$front_ms")"
  printf '  %-50s %8s  %s  (its start, config, classify)\n' "handler, then runc" "$handler_ms" "$(extra "$handler_ms")"
}
finish_test
