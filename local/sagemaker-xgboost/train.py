"""The training container of the local SageMaker stand-in: SageMaker's built-in XGBoost algorithm, run on this
machine's XGBoost (Debian's python3-xgboost).

It follows the algorithm container's contract, with SM_ROOT in place of /opt/ml:
  input/config/hyperparameters.json  the job's HyperParameters (all strings), as the built-in algorithm takes them
  input/config/inputdataconfig.json  the channels and their ContentType (text/libsvm)
  input/data/<channel>/              the channel's files (train, and validation for early stopping)
  model/xgboost-model                the booster, in XGBoost's binary format, as the built-in algorithm saves it
  output/failure                     why the job failed (SageMaker reports it as FailureReason)
It prints XGBoost's evaluation log per round and, last, one JSON line: rounds, best iteration, seconds, peak memory.
"""
import json
import os
import resource
import sys
import time
import traceback

ROOT = os.environ.get("SM_ROOT", "/opt/ml")
# The built-in algorithm's own settings: not XGBoost parameters.
NOT_PARAMS = {"num_round", "early_stopping_rounds", "csv_weights", "_kfold", "_nfold"}


def fail(reason):
    os.makedirs(os.path.join(ROOT, "output"), exist_ok=True)
    with open(os.path.join(ROOT, "output", "failure"), "w") as f:
        f.write(reason)
    print(reason, file=sys.stderr)
    sys.exit(1)


def channel_matrix(xgb, name, content_type):
    directory = os.path.join(ROOT, "input", "data", name)
    files = sorted(os.path.join(directory, f) for f in os.listdir(directory) if not f.startswith("."))
    if not files:
        fail(f"Channel {name} has no files.")
    if content_type not in ("text/libsvm", "libsvm"):
        fail(f"Channel {name}: content type {content_type} is not supported here (use text/libsvm).")
    # One file per channel: XGBoost reads a libsvm file by path (0-based feature indexes; absent = missing).
    joined = os.path.join(ROOT, "input", f"{name}.libsvm")
    with open(joined, "wb") as out:
        for path in files:
            with open(path, "rb") as f:
                out.write(f.read())
    return xgb.DMatrix(f"{joined}?format=libsvm")


def main():
    try:
        import xgboost as xgb
    except ImportError:
        fail("XGBoost is not installed for this Python: apt-get install -y python3-xgboost")
    with open(os.path.join(ROOT, "input", "config", "hyperparameters.json")) as f:
        hyperparameters = json.load(f)
    with open(os.path.join(ROOT, "input", "config", "inputdataconfig.json")) as f:
        channels = json.load(f)
    if "train" not in channels:
        fail("The train channel is required.")
    if "num_round" not in hyperparameters:
        fail("Missing required hyperparameter: num_round")
    started = time.time()
    matrices = {name: channel_matrix(xgb, name, spec.get("ContentType", "text/libsvm")) for name, spec in channels.items()}
    params = {k: v for k, v in hyperparameters.items() if k not in NOT_PARAMS}
    params.setdefault("nthread", str(os.cpu_count() or 1))
    evals = [(matrices["train"], "train")] + [(m, n) for n, m in matrices.items() if n == "validation"]
    early = hyperparameters.get("early_stopping_rounds")
    if early is not None and "validation" not in matrices:
        fail("early_stopping_rounds needs a validation channel.")
    booster = xgb.train(
        params,
        matrices["train"],
        num_boost_round=int(hyperparameters["num_round"]),
        evals=evals,
        early_stopping_rounds=int(early) if early is not None else None,
        verbose_eval=True,
    )
    model_dir = os.path.join(ROOT, "model")
    os.makedirs(model_dir, exist_ok=True)
    booster.save_model(os.path.join(model_dir, "xgboost-model"))
    best = booster.attr("best_iteration")
    print(
        json.dumps(
            {
                "rounds": booster.num_boosted_rounds(),
                "best_iteration": int(best) if best is not None else None,
                "rows": {n: m.num_row() for n, m in matrices.items()},
                "seconds": round(time.time() - started, 3),
                "peak_memory_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            }
        )
    )


if __name__ == "__main__":
    try:
        main()
    except SystemExit:
        raise
    except Exception as error:  # noqa: BLE001 - the container reports any error as the job's failure reason
        traceback.print_exc()
        fail(f"AlgorithmError: {error}")
