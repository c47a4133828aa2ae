import pytest
from evaldata import make_data

from relsynth.relational import RelationalData


@pytest.fixture(scope="session")
def real() -> RelationalData:
    return make_data(seed=0)


@pytest.fixture(scope="session")
def train() -> RelationalData:
    return make_data(seed=1, n_customers=200)


@pytest.fixture(scope="session")
def fresh() -> RelationalData:
    """Another sample of the same distribution with other keys: what a good generator gives."""
    return make_data(seed=2, key_offset=100_000)
