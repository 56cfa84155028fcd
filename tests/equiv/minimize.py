"""Shrink violating cases: delete byte ranges as long as the same rule still fails.

A batched form of delta debugging: every round, each example still shrinking offers the deletions
of every chunk of the current size (the size halves when none of them keeps the rule failing);
all candidates of all examples are judged together by one call of `judge` (one npguard scan and
one oracle run), and each example takes its smallest candidate that still fails its rule.
"""

import time

MAX_INPUT = 4096         # longer examples are not minimized
MAX_CANDIDATES = 256     # per example and round
MAX_ROUNDS = 40          # the result is reproducible unless the time budget ends it earlier


def candidates(data, chunk):
    out = []
    step = max(chunk, (len(data) + MAX_CANDIDATES - 1) // MAX_CANDIDATES)
    for start in range(0, len(data), step):
        out.append(data[:start] + data[start + chunk:])
    return out


def minimize(examples, judge, seconds):
    """examples: [(key, rule, data)]; judge(list of bytes) -> list of (failing rules, info).
    Returns {key: (data, info)} for the examples that got smaller (info from the last judging
    of the kept candidate)."""
    deadline = time.monotonic() + seconds
    state = {key: [rule, data, max(1, len(data) // 2), None]
             for key, rule, data in examples if 1 < len(data) <= MAX_INPUT}
    active = set(state)
    rounds = 0
    while active and rounds < MAX_ROUNDS and time.monotonic() < deadline:
        rounds += 1
        batch, owners = [], []
        for key in sorted(active):
            _, data, chunk, _ = state[key]
            for cand in candidates(data, chunk):
                batch.append(cand)
                owners.append(key)
        judged = judge(batch)
        best = {}
        for key, cand, (failing, info) in zip(owners, batch, judged):
            if state[key][0] in failing and (key not in best or len(cand) < len(best[key][0])):
                best[key] = (cand, info)
        for key in list(active):
            st = state[key]
            if key in best:
                st[1], st[3] = best[key]
                st[2] = min(st[2], max(1, len(st[1]) // 2))
            elif st[2] > 1:
                st[2] //= 2
            else:
                active.discard(key)
            if not st[1]:
                active.discard(key)
    return {key: (st[1], st[3]) for key, st in state.items() if st[3] is not None}
