"""Fixtures for the synthesis tests (data in `shop_data.py`)."""

from __future__ import annotations

import pytest
import torch
from shop_data import ROOT, TINY, customers_only, dfs_rows, make_shop

from relsynth.relational import RelationalData, Schema
from relsynth.synth import ModelSize, TabularPreproc


@pytest.fixture(autouse=True)
def _one_thread():
    """Tests run on one torch thread (fast and deterministic on a shared machine); restored after."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def shop() -> RelationalData:
    return make_shop()


@pytest.fixture(scope="session")
def customers(shop) -> RelationalData:
    return customers_only(shop)


@pytest.fixture(scope="session")
def shop_preproc(shop) -> TabularPreproc:
    return TabularPreproc.from_schema(shop.schema).fit(shop)


@pytest.fixture(name="make_shop")
def make_shop_fixture():
    """The generator: `make_shop(n_customers, n_suppliers, seed)`."""
    return make_shop


@pytest.fixture(scope="session")
def chinook() -> RelationalData:
    schema = Schema.from_yaml(ROOT / "conf/base/schema_chinook.yml")
    return RelationalData.from_dir(ROOT / "data/01_raw/chinook", schema=schema)


@pytest.fixture(scope="session")
def chinook_preproc(chinook) -> TabularPreproc:
    return TabularPreproc.from_schema(chinook.schema).fit(chinook)


@pytest.fixture(name="tiny_size")
def tiny_size_fixture() -> ModelSize:
    return TINY


@pytest.fixture(name="dfs_rows")
def dfs_rows_fixture():
    return dfs_rows
