#!/bin/bash
# The LeNet training step, dlg against TF.js WebGPU on the same adapter, in interleaved rounds (as the peers'
# run_vs.sh does for the MLP). Run from the project root after `npm ci`, with a copy of ../shared/peers set up:
#   cp -r ../shared/peers /tmp/peers && (cd /tmp/peers && npm ci --ignore-scripts)
#   PEERS=/tmp/peers bash bench/peers/run-lenet-vs.sh [vulkan|gles|both]      env: ROUNDS (3), TRIALS (3)
set -u
PEERS=${PEERS:?set PEERS to a copy of ../shared/peers with its packages installed}
ROOT=$(pwd); export DLG_DIST=${DLG_DIST:-$ROOT/dist} XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}
ROUNDS=${ROUNDS:-3}; T=${TRIALS:-3}; WHICH=${1:-both}
OUT=${OUT:-/tmp/lenet-vs.jsonl}; : > "$OUT"
cp "$ROOT/bench/peers/bench_tfjs_lenet.mjs" "$PEERS/"
adapters=(vulkan gles); [[ $WHICH != both ]] && adapters=($WHICH)
for r in $(seq 1 "$ROUNDS"); do
  for a in "${adapters[@]}"; do
    for c in "node $DLG_DIST/bench/peer-lenet.js $a --trials=$T" "node $PEERS/bench_tfjs_lenet.mjs $a --trials=$T"; do
      echo "[round $r] $c" >&2
      (cd "$PEERS" && timeout 400 $c 2>>/tmp/lenet-vs.stderr) | grep '^{' | sed "s/^{/{\"round\":$r,/" >> "$OUT"
    done
  done
done
# Per round: each peer's best steps/s and dlg's ratio to it (same round, same machine conditions).
node -e '
const rows = require("fs").readFileSync(process.argv[1], "utf8").split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l)).filter((r) => r.bench === "lenet_train");
for (const key of [...new Set(rows.map((r) => `${r.adapter} round ${r.round}`))]) {
  const at = rows.filter((r) => `${r.adapter} round ${r.round}` === key);
  const dlg = at.find((r) => r.peer === "dlg");
  console.log(key + ": " + at.map((r) => `${r.peer} ${r.steps_per_s_best} steps/s (first step ${r.first_step_ms} ms, loss0 ${r.loss0_ok ? "ok" : "WRONG"})` + (dlg && r !== dlg ? ` dlg/${r.peer} ${(dlg.steps_per_s_best / r.steps_per_s_best).toFixed(2)}x` : "")).join(" | "));
}' "$OUT"
