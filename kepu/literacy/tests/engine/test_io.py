"""Arrow columns to numpy without Arrow's to_numpy (which imports pandas when it is installed)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from kepu.literacy._groups import arrow_numpy


@pytest.mark.parametrize(
    ("arrow", "expected", "dtype"),
    [
        (pa.array([1, 2, 3], pa.int64()), [1, 2, 3], np.int64),
        (pa.array([1, None, 3], pa.int32()), [1.0, np.nan, 3.0], np.float64),
        (pa.array([1.5, None], pa.float32()), [1.5, np.nan], np.float64),
        (pa.array([True, None, False]), [1.0, np.nan, 0.0], np.float64),
        (pa.array([True, False, True]), [True, False, True], np.bool_),
        (pa.array([5, 6, 7, 8], pa.uint16()).slice(1, 2), [6, 7], np.uint16),
        (pa.array([1, None, 3, 4], pa.int64()).slice(1, 3), [np.nan, 3.0, 4.0], np.float64),
        (pa.chunked_array([pa.array([1, 2]), pa.array([3, None])]), [1.0, 2.0, 3.0, np.nan], np.float64),
        (pa.chunked_array([pa.array([1, 2]), pa.array([3])]), [1, 2, 3], np.int64),
    ],
)
def test_arrow_numpy(arrow, expected, dtype):
    out = arrow_numpy(arrow)
    assert out.dtype == dtype
    np.testing.assert_array_equal(out, np.asarray(expected, dtype=dtype))
    out[...] = 0  # a copy the engine may write to, never Arrow's buffer
    assert arrow_numpy(arrow).tolist() != out.tolist() or not len(out)
