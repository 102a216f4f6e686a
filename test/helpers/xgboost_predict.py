"""XGBoost's own predictions for a parity test: probabilities and approximate (Saabas) contributions of a model on a
libsvm file, with the trees up to best_iteration, as JSON on stdout. Also saves the model as JSON beside it."""
import json
import sys

import xgboost as xgb

model_path, data_path = sys.argv[1], sys.argv[2]
booster = xgb.Booster()
booster.load_model(model_path)
booster.save_model(model_path + ".json")
best = booster.attr("best_iteration")
limit = (0, int(best) + 1) if best is not None else (0, 0)
data = xgb.DMatrix(f"{data_path}?format=libsvm")
p = booster.predict(data, iteration_range=limit)
contribs = booster.predict(data, iteration_range=limit, pred_contribs=True, approx_contribs=True)
print(json.dumps({"p": [float(v) for v in p], "contribs": [[float(v) for v in row] for row in contribs]}))
