#!/usr/bin/env python3
"""Reference vectors for option-math, computed with mpmath at 60 significant digits.

Usage (from this directory, with `pip install -r requirements.txt`):
    python3 generate.py              # rewrites functions.csv and black_scholes.csv
    python3 generate.py --constants  # prints the Q80 constants hard-coded in src/

Inputs are the exact integers the library receives (1e18 scale, time in seconds); the
reference is the real-valued result scaled to the library's output units, printed with 9
decimals so that tests can measure errors far below one unit. The random draws use a fixed
seed: the output is reproducible byte for byte.
"""
import random
import sys

from mpmath import mp, mpf, exp, log, sqrt, pi, ncdf, npdf, nstr, floor

mp.dps = 60
WAD = 10**18
YEAR = 365 * 86400
MIN_PRICE, MAX_PRICE = 10**6, 10**30
MIN_VOL, MAX_VOL = 10**14, 10 * WAD
MAX_TIME = 10 * YEAR


def fmt(x):
    """Fixed-point decimal with 9 fractional digits (exact rounding of the mp value)."""
    x = mpf(x)
    neg = x < 0
    v = int(floor(abs(x) * 10**9 + mpf(1) / 2))
    s = "%d.%09d" % (v // 10**9, v % 10**9)
    return "-" + s if neg and v != 0 else s


def constants():
    q = mpf(2) ** 80
    for name, v in [
        ("LN2", log(2)),
        ("INV_LN2", 1 / log(2)),
        ("INV_SQRT_2PI", 1 / sqrt(2 * pi)),
        ("SQRT_PI_2", sqrt(pi / 2)),
        ("SQRT2", sqrt(2)),
        ("LN_WAD", log(mpf(WAD))),
    ]:
        print(name, int(floor(v * q + mpf(1) / 2)))


def loguniform(rng, lo, hi):
    return int(exp(mpf(rng.uniform(float(log(lo)), float(log(hi))))))


def functions(rng):
    rows = []
    for _ in range(300):
        x = loguniform(rng, 1, 10**36)
        rows.append(("ln", x, log(mpf(x) / WAD) * WAD))
    for _ in range(300):
        x = rng.randint(-94 * WAD, 47 * WAD)
        rows.append(("exp", x, exp(mpf(x) / WAD) * WAD))
    for _ in range(300):
        x = loguniform(rng, 1, 10**38)
        rows.append(("sqrt", x, sqrt(mpf(x) / WAD) * WAD))
    for _ in range(400):
        x = rng.randint(-40 * WAD, 40 * WAD) if rng.random() < 0.5 else rng.randint(-8 * WAD, 8 * WAD)
        rows.append(("cdf", x, ncdf(mpf(x) / WAD) * WAD))
        rows.append(("pdf", x, npdf(mpf(x) / WAD) * WAD))
    return rows


def black_scholes(spot, strike, time, vol, rate):
    S, K = mpf(spot) / WAD, mpf(strike) / WAD
    T = mpf(time) / YEAR
    v, r = mpf(vol) / WAD, mpf(rate) / WAD
    if time == 0:
        return None
    s = v * sqrt(T)
    d1 = (log(S / K) + (r + v * v / 2) * T) / s
    d2 = d1 - s
    df = exp(-r * T)
    call = S * ncdf(d1) - K * df * ncdf(d2)
    put = K * df * ncdf(-d2) - S * ncdf(-d1)
    phi = npdf(d1)
    gamma = phi / (S * s)
    vega = S * phi * sqrt(T)
    call_theta = -S * phi * v / (2 * sqrt(T)) - r * K * df * ncdf(d2)
    put_theta = -S * phi * v / (2 * sqrt(T)) + r * K * df * ncdf(-d2)
    call_rho = K * T * df * ncdf(d2)
    put_rho = -K * T * df * ncdf(-d2)
    return [
        call * WAD, put * WAD, ncdf(d1) * WAD, (ncdf(d1) - 1) * WAD, gamma * WAD,
        vega * WAD, call_theta * WAD, put_theta * WAD, call_rho * WAD, put_rho * WAD,
    ]


def bs_cases(rng):
    cases = []
    # "normal": the range options markets trade (as in the Lyra comparison).
    for _ in range(800):
        spot = loguniform(rng, WAD // 1000, 10**6 * WAD)
        strike = int(mpf(spot) * exp(mpf(rng.uniform(-0.7, 0.7))))
        time = rng.randint(3600, 2 * YEAR)
        vol = rng.randint(WAD // 20, 3 * WAD)
        rate = rng.randint(-WAD // 20, WAD // 10)
        cases.append(("normal", spot, strike, time, vol, rate))
    # "wide": anywhere in the documented input range.
    for _ in range(300):
        spot = loguniform(rng, MIN_PRICE, MAX_PRICE)
        strike = min(MAX_PRICE, max(MIN_PRICE, int(mpf(spot) * exp(mpf(rng.uniform(-3, 3))))))
        time = loguniform(rng, 1, MAX_TIME)
        vol = loguniform(rng, MIN_VOL, MAX_VOL)
        rate = rng.randint(-WAD, WAD)
        cases.append(("wide", spot, strike, time, vol, rate))
    # edges: at the bounds of every input, deep in and out of the money.
    for spot in (MIN_PRICE, WAD, MAX_PRICE):
        for k in (MIN_PRICE, spot // 3 or 1, spot, spot * 3, MAX_PRICE):
            k = min(MAX_PRICE, max(MIN_PRICE, k))
            for time in (1, 3600, YEAR, MAX_TIME):
                for vol in (MIN_VOL, WAD // 5, MAX_VOL):
                    for rate in (-WAD, 0, WAD // 20, WAD):
                        cases.append(("edge", spot, k, time, vol, rate))
    return cases


def main():
    if "--constants" in sys.argv:
        constants()
        return
    rng = random.Random(20261124)
    with open("functions.csv", "w") as f:
        f.write("fn,x,ref\n")
        for name, x, ref in functions(rng):
            f.write("%s,%d,%s\n" % (name, x, fmt(ref)))
    with open("black_scholes.csv", "w") as f:
        f.write("set,spot,strike,time,vol,rate,call,put,call_delta,put_delta,gamma,vega,"
                "call_theta,put_theta,call_rho,put_rho\n")
        for case in bs_cases(rng):
            out = black_scholes(*case[1:])
            f.write(",".join([case[0]] + [str(c) for c in case[1:]] + [fmt(o) for o in out]) + "\n")


if __name__ == "__main__":
    main()
