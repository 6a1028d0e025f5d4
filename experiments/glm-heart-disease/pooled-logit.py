"""Pooled reference for the GLM experiment: statsmodels Logit on all four centers' records.

Reads the prepared center CSVs (argv[1:]) directly, builds the design independently of hefl
(intercept, age, sex, trestbps, chol, thalach, oldpeak, cp one-hot with typical-angina as the
reference), label num > 0, and prints JSON {feature: [coef, se]} plus n and the deviance.
"""
import csv
import json
import sys

import numpy as np
import statsmodels.api as sm

NUMERIC = ["age", "sex", "trestbps", "chol", "thalach", "oldpeak"]
CP = ["atypical-angina", "non-anginal", "asymptomatic"]  # typical-angina is the reference

rows, labels = [], []
for path in sys.argv[1:]:
    with open(path, newline="") as f:
        for rec in csv.DictReader(f):
            rows.append([1.0] + [float(rec[c]) for c in NUMERIC] + [1.0 if rec["cp"] == c else 0.0 for c in CP])
            labels.append(1.0 if float(rec["num"]) > 0 else 0.0)
names = ["(Intercept)"] + NUMERIC + [f"cp={c}" for c in CP]
fit = sm.Logit(np.array(labels), np.array(rows)).fit(method="newton", tol=1e-12, maxiter=100, disp=0)
print(json.dumps({
    "n": len(labels),
    "deviance": -2 * fit.llf,
    "iterations": int(fit.mle_retvals["iterations"]),
    "coefficients": {n: [float(b), float(s)] for n, b, s in zip(names, fit.params, fit.bse)},
}))
