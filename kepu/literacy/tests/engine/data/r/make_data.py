"""Write the synthetic survey that R's reference figures are computed from (run once; the CSVs are committed).

``python kepu/literacy/tests/engine/data/r/make_data.py`` from the repository root. The data come from
``kepu.literacy.synthetic.make_survey`` (seed 20261204): 2,400 respondents, 40 strata in 4 districts, 100 PSUs,
base weights that vary between strata, PSUs and respondents (so R's ``rake()`` and ``calibrate(calfun="raking")``
give different standard errors). ``lonely_keep`` marks the rows of the lonely-PSU variant: in every stratum
whose number is 3 modulo 7 only the first PSU is kept, so six strata (spread over the four districts) have a
single PSU.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[5]))

from kepu.literacy.synthetic import make_survey  # noqa: E402


def main() -> None:
    survey = make_survey(2400, 40, 100, 4, seed=20261204)
    data = dict(survey.data)
    stratum, psu = data["stratum"], data["psu"]
    first_psu = {int(s): int(psu[stratum == s].min()) for s in np.unique(stratum)}
    lonely_stratum = stratum % 7 == 3
    data["lonely_keep"] = (~lonely_stratum | (psu == np.array([first_psu[int(s)] for s in stratum]))).astype(int)
    table = pa.table({k: pa.array(v.tolist() if v.dtype == object else v) for k, v in data.items()})
    pacsv.write_csv(table, HERE / "survey.csv")
    recs = survey.margin_records
    margins = pa.table(
        {
            "variable": [r["variable"] for r in recs],
            "level": [r["level"] for r in recs],
            "total": [r["total"] for r in recs],
        }
    )
    pacsv.write_csv(margins, HERE / "margins.csv")


if __name__ == "__main__":
    main()
