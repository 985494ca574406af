#!/usr/bin/env python3
"""Test oracle: numpy re-implementation of samq's calibration clip searches (src/quant/calib).

  quant_observers.py HIST.npy RANGE OUT.json
HIST.npy holds the |x| histogram counts (float64, 2048 bins over [0, RANGE]). Writes the
thresholds of entropy (128 and 256 quantization bins), percentile (99, 99.9, 99.99) and MSE
(qmax 127 and 255). Written independently of the C++ (vectorized numpy); never part of samq.
"""
import json
import sys

import numpy as np


def smooth(p, eps=1e-4):
    zero = p == 0
    nz = (~zero).sum()
    if nz == 0:
        return None
    out = p.copy()
    out[zero] = eps
    out[~zero] -= eps * zero.sum() / nz
    return out


def kl(p, q):
    if p.sum() <= 0 or q.sum() <= 0:
        return np.inf
    p = smooth(p / p.sum())
    q = smooth(q / q.sum())
    if p is None or q is None:
        return np.inf
    m = (p > 0) & (q > 0)
    return float(np.sum(p[m] * np.log(p[m] / q[m])))


def entropy_threshold(counts, rng, nq):
    bins = len(counts)
    if counts.sum() <= 0 or rng <= 0:
        return 0.0
    best_kl, best_i = np.inf, bins
    for i in range(nq, bins + 1):
        p = counts[:i].copy()
        p[-1] += counts[i:].sum()
        merged = i // nq
        q = np.zeros(i)
        edges = [j * merged for j in range(nq)] + [i]
        for j in range(nq):
            seg = counts[edges[j]:edges[j + 1]]
            nz = seg != 0
            if nz.any():
                q[edges[j]:edges[j + 1]][nz] = seg.sum() / nz.sum()
        d = kl(p, q)
        if d < best_kl:
            best_kl, best_i = d, i
    return best_i * rng / bins


def percentile_threshold(counts, rng, pct):
    cum = np.cumsum(counts)
    idx = int(np.searchsorted(cum, pct / 100.0 * cum[-1], side="left"))
    return (idx + 1) * rng / len(counts)


def mse_threshold(counts, rng, qmax):
    bins = len(counts)
    w = rng / bins
    centers = (np.arange(bins) + 0.5) * w
    nz = counts != 0
    x, n = centers[nz], counts[nz]
    errs = []
    for i in range(1, bins + 1):
        scale = i * w / qmax
        q = np.minimum(np.round(x / scale), qmax)  # np.round: half to even, as std::nearbyint
        errs.append(float(np.sum(n * (x - q * scale) ** 2)))
    return (int(np.argmin(errs)) + 1) * w


def main():
    counts = np.load(sys.argv[1]).astype(np.float64)
    rng = float(sys.argv[2])
    out = {
        "entropy_128": entropy_threshold(counts, rng, 128),
        "entropy_256": entropy_threshold(counts, rng, 256),
        "percentile_99": percentile_threshold(counts, rng, 99.0),
        "percentile_99.9": percentile_threshold(counts, rng, 99.9),
        "percentile_99.99": percentile_threshold(counts, rng, 99.99),
        "mse_127": mse_threshold(counts, rng, 127),
        "mse_255": mse_threshold(counts, rng, 255),
        "bin_width": rng / len(counts),
    }
    with open(sys.argv[3], "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
