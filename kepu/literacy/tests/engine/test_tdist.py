"""Student's t quantiles without scipy, against scipy (which the tests may import)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from kepu.literacy._tdist import t_quantile

DFS = np.array([*range(1, 61), *range(61, 1200, 7), 699, 700, 701, 1500, 2000, 3800, 10**4, 10**5, 10**6])


@pytest.mark.parametrize("confidence", [0.5, 0.8, 0.9, 0.95, 0.99, 0.999])
def test_matches_scipy_to_1e_12(confidence):
    q = 0.5 + confidence / 2
    ours = t_quantile(q, DFS)
    assert np.max(np.abs(ours / stats.t.ppf(q, DFS) - 1)) < 1e-12


def test_no_degrees_of_freedom_gives_nan_and_shapes_are_kept():
    out = t_quantile(0.975, np.array([[0, 5], [-1, 14]]))
    assert out.shape == (2, 2) and np.isnan(out[0, 0]) and np.isnan(out[1, 0])
    assert out[1, 1] == pytest.approx(2.144786687917804, rel=1e-13)  # qt(0.975, 14)


def test_the_engine_does_not_import_scipy_for_an_estimate():
    import subprocess
    import sys

    code = (
        "import sys, numpy as np; from kepu.literacy import Design, rake, estimate_proportion, Margin;"
        "d = Design.create({'s': np.array(['a','a','b','b']), 'p': np.arange(4), 'y': np.array([0,1,1,0]),"
        " 'g': np.array(['x','y','x','y'])}, strata='s', clusters='p', weights=np.ones(4));"
        "r = rake(d, [Margin('g', {'x': 10, 'y': 12})]);"
        "estimate_proportion(r, 'y'); estimate_proportion(r, 'y', domain='g');"
        "assert not any(m.startswith('scipy') for m in sys.modules), 'scipy imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
