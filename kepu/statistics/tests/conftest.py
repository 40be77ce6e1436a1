import pytest

from kepu.core import clock
from kepu.statistics.tests.factories import LATE


@pytest.fixture
def late():
    """The clock late in the year: the forms are filled in December."""
    with clock.frozen_at(LATE):
        yield LATE


@pytest.fixture
def dictionary(db):
    """The bundled dictionary (a transactional test's flush may have removed what migrate loaded)."""
    from kepu.statistics.data import load_bundled
    from kepu.statistics.models import Edition

    if not Edition.objects.exists():
        load_bundled()
