"""Pooled reference for the GLM experiment: statsmodels Logit on all four centers' records.

argv[1]: JSON {cp code: hefl slot name `cp#b`}; argv[2:]: the prepared center CSVs, read
directly. Builds the design independently of hefl (intercept, age, sex, trestbps, chol, thalach,
oldpeak, cp one-hot; reference = the code in the lowest bucket, as hefl drops its first slot),
label num > 0, and prints JSON {feature: [coef, se]} plus n and the deviance.
"""
import csv
import json
import sys

import numpy as np
import statsmodels.api as sm

NUMERIC = ["age", "sex", "trestbps", "chol", "thalach", "oldpeak"]
SLOT = json.loads(sys.argv[1])
ORDER = sorted(SLOT, key=lambda code: int(SLOT[code].split("#")[1]))
CP = ORDER[1:]  # ORDER[0] is the reference level

rows, labels = [], []
for path in sys.argv[2:]:
    with open(path, newline="") as f:
        for rec in csv.DictReader(f):
            rows.append([1.0] + [float(rec[c]) for c in NUMERIC] + [1.0 if rec["cp"] == c else 0.0 for c in CP])
            labels.append(1.0 if float(rec["num"]) > 0 else 0.0)
names = ["(Intercept)"] + NUMERIC + [SLOT[c] for c in CP]
fit = sm.Logit(np.array(labels), np.array(rows)).fit(method="newton", tol=1e-12, maxiter=100, disp=0)
print(json.dumps({
    "n": len(labels),
    "deviance": -2 * fit.llf,
    "iterations": int(fit.mle_retvals["iterations"]),
    "coefficients": {n: [float(b), float(s)] for n, b, s in zip(names, fit.params, fit.bse)},
}))
