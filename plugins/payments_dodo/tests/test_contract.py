"""The Dodo provider passes core's payment provider contract kit, against the fake Dodo."""

from __future__ import annotations

import pytest
from marketplace_payments_dodo.testing import FakeDodo

from marketplace_core.testing.contracts import PaymentProviderContract
from tests.harness import DodoHarness


class TestDodoProviderContract(PaymentProviderContract):
    @pytest.fixture
    def harness(self, dodo: FakeDodo) -> DodoHarness:
        return DodoHarness(dodo)
