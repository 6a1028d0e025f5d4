"""FLamby's fixed Fed-Heart-Disease train/test split, computed exactly as FLamby computes it.

FLamby (flamby/datasets/fed_heart_disease/dataset.py) splits each center with
sklearn.model_selection.train_test_split(np.arange(nb), test_size=1.0 - 0.66, train_size=0.66,
random_state=43, shuffle=True, stratify=labels when both classes have more than 2 rows).
sklearn's shuffling cannot be reproduced in Node, so hefl's experiment runs this script
(Debian: python3-sklearn) and writes the result into a split column of each center's CSV.

usage: python3 flamby-split.py DIR   (DIR holds UCI's processed.<center>.data files)
prints one JSON document: {"<center>": {"rows": n, "test": [row indices, ascending]}, ...}
Row indices count the rows left after FLamby's preprocessing (drop columns 10-12, then every
row with a missing value), in file order.
"""

import json
import sys

import numpy as np
from sklearn.model_selection import train_test_split

CENTERS = ["cleveland", "hungarian", "switzerland", "va"]
TRAIN_FRACTION = 0.66


def center_labels(path):
    labels = []
    with open(path) as f:
        for line in f:
            if line.strip() == "":
                continue
            fields = [x.strip() for x in line.split(",")]
            kept = [x for i, x in enumerate(fields) if i not in (10, 11, 12)]
            if any(x in ("?", "") for x in kept):
                continue
            labels.append(0 if float(kept[-1]) == 0 else 1)
    return np.array(labels)


def main(folder):
    out = {}
    for center in CENTERS:
        labels = center_labels(f"{folder}/processed.{center}.data")
        nb = len(labels)
        levels = np.unique(labels)
        stratify = labels if len(levels) > 1 and all((labels == lev).sum() > 2 for lev in levels) else None
        _, test = train_test_split(
            np.arange(nb),
            test_size=1.0 - TRAIN_FRACTION,
            train_size=TRAIN_FRACTION,
            random_state=43,
            shuffle=True,
            stratify=stratify,
        )
        out[center] = {"rows": int(nb), "stratified": stratify is not None, "test": sorted(int(i) for i in test)}
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
