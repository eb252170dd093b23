#!/usr/bin/env python3
"""Vowpal Wabbit's contextual bandit (cb_explore_adf) as the market run's outside reference.

The live driver (tools/market/src/live/vw.adapter.ts) talks to this process in JSON lines
over stdin/stdout, one reply per request, in order:

  {"op": "predict", "shared": [u0, u1, ...],
   "actions": [{"id": "off-1", "x": [c0, ...]}, {"id": null}]}
      -> {"pmf": [p0, p1, ...]}           (the driver draws the action itself, seeded)
  {"op": "learn", "shared": [...], "actions": [...], "chosen": 1, "cost": -1.25, "prob": 0.8}
      -> {"learned": n}
  {"op": "info"} -> {"vw": "9.11.9", "args": "...", "learned": n}

`shared` is the user/context vector and each action's `x` the candidate vector that
FeatureService.GetFeatures answered (the same vectors offerstream's model reads); an
action with id null is "show no offer". Costs are negative rewards (VW minimises cost).
Errors are answered as {"error": "..."} and the process keeps going.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import vowpalwabbit

DEFAULT_ARGS = "--cb_explore_adf --squarecb -q UA --random_seed 7 --quiet"


def _features(prefix: str, values: list[float]) -> str:
    return " ".join(f"{prefix}{i}:{v:.6g}" for i, v in enumerate(values) if v != 0)


def _clean(token: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in token)


def examples(req: dict[str, Any]) -> list[str]:
    lines = [f"shared |U {_features('u', req['shared'])}".rstrip()]
    for a in req["actions"]:
        if a.get("id") is None:
            lines.append("|A none")
        else:
            lines.append(f"|A offer={_clean(a['id'])} {_features('c', a['x'])}".rstrip())
    return lines


def main(argv: list[str]) -> int:
    args = " ".join(argv) if argv else DEFAULT_ARGS
    vw = vowpalwabbit.Workspace(args)
    learned = 0
    for raw in sys.stdin:
        raw = raw.strip()
        if not raw:
            continue
        try:
            req = json.loads(raw)
            op = req.get("op")
            if op == "predict":
                pmf = vw.predict(examples(req))
                out: dict[str, Any] = {"pmf": [float(p) for p in pmf]}
            elif op == "learn":
                lines = examples(req)
                chosen = int(req["chosen"])
                label = f"0:{float(req['cost']):.6g}:{max(1e-6, float(req['prob'])):.6g}"
                lines[chosen + 1] = f"{label} {lines[chosen + 1]}"
                vw.learn(lines)
                learned += 1
                out = {"learned": learned}
            elif op == "info":
                out = {"vw": vowpalwabbit.__version__, "args": args, "learned": learned}
            else:
                out = {"error": f"unknown op {op!r}"}
        except Exception as e:  # any failure is reported to the driver, and the process goes on
            out = {"error": f"{type(e).__name__}: {e}"}
        sys.stdout.write(json.dumps(out) + "\n")
        sys.stdout.flush()
    vw.finish()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
