"""Privacy accounting: epsilon of composed (subsampled) Gaussian mechanisms (opacus' RDP or PRV
accountants), noise calibration to a budget, and the zCDP conversions of the preprocessor fit."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable

ACCOUNTANTS = ("rdp", "prv")

RDP_ORDERS = [1 + x / 100 for x in range(1, 10)] + [1 + x / 10.0 for x in range(1, 100)] + list(range(12, 256))
History = list[tuple[float, float, int]]  # (noise_multiplier, sample_rate, steps), opacus' format


def epsilon_of(history: History, delta: float, accountant: str = "rdp") -> float:
    """Epsilon at `delta` of a composition of (subsampled) Gaussian mechanisms."""
    history = [h for h in history if h[2] > 0]
    if not history:
        return 0.0
    if accountant == "rdp":
        from opacus.accountants import RDPAccountant

        acc = RDPAccountant()
    else:
        from opacus.accountants import PRVAccountant

        acc = PRVAccountant()
    acc.history = list(history)
    if accountant == "rdp":  # opacus' orders plus finer ones near 1 (large epsilons) and larger ones
        with warnings.catch_warnings():  # an order at the edge gives a looser bound, still a valid one
            warnings.filterwarnings("ignore", message="Optimal order is the")
            return float(acc.get_epsilon(delta=delta, alphas=RDP_ORDERS))
    return float(acc.get_epsilon(delta=delta))


def calibrate_noise(
    epsilon: float, delta: float, plan: Callable[[float], History], accountant: str = "rdp", tol: float = 0.005
) -> float:
    """The smallest noise multiplier (to `tol` relative) whose `plan(sigma)` spends at most epsilon."""

    def spent(s: float) -> float:
        return epsilon_of(plan(s), delta, accountant)

    lo, hi = 0.1, 1.0
    while spent(hi) > epsilon:
        lo, hi = hi, hi * 2
        if hi > 1e4:
            raise ValueError(
                f"no noise multiplier fits epsilon={epsilon:.3g} (what the budget leaves for training): the "
                "number of steps, or the validations (DpValid), use it up; train fewer steps, validate less "
                "often, raise DpValid.noise_multiplier or the budget"
            )
    if spent(lo) <= epsilon:
        return lo
    while hi / lo > 1 + tol:
        mid = math.sqrt(lo * hi)
        lo, hi = (lo, mid) if spent(mid) <= epsilon else (mid, hi)
    return hi


def affordable_steps(
    epsilon: float, delta: float, plan: Callable[[int], History], n_steps: int, accountant: str
) -> int:
    """The largest k <= n_steps whose `plan(k)` spends at most epsilon (binary search)."""
    if epsilon_of(plan(n_steps), delta, accountant) <= epsilon:
        return n_steps
    lo, hi = 0, n_steps  # spent(lo) <= epsilon < spent(hi)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if epsilon_of(plan(mid), delta, accountant) <= epsilon else (lo, mid)
    return lo


# ---- zCDP for the preprocessor fit -----------------------------------------------------------
def zcdp_rho(epsilon: float, delta: float) -> float:
    """The largest rho with rho-zCDP => (epsilon, delta)-DP (Bun & Steinke 2016, Prop. 1.3)."""
    log_d = math.log(1 / delta)
    return (math.sqrt(log_d + epsilon) - math.sqrt(log_d)) ** 2


def zcdp_epsilon(rho: float, delta: float) -> float:
    return rho + 2 * math.sqrt(rho * math.log(1 / delta))
