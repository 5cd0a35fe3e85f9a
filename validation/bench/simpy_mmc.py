"""M/M/c in SimPy 4, the reference for `make bench`: the same model as gmpsim's fifo M/M/16 scenario.

Prints one line: "<wall seconds> <mean wait seconds>". Time unit: seconds; mean service 1 ms.
"""
import argparse
import random
import time

import simpy


def customer(env, servers, service_mean, rng, waits):
    arrived = env.now
    with servers.request() as req:
        yield req
        waits.append(env.now - arrived)
        yield env.timeout(rng.expovariate(1.0 / service_mean))


def source(env, servers, n, lam, service_mean, rng, waits):
    for _ in range(n):
        yield env.timeout(rng.expovariate(lam))
        env.process(customer(env, servers, service_mean, rng, waits))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=200_000)
    ap.add_argument("--servers", type=int, default=16)
    ap.add_argument("--rho", type=float, default=0.9)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    service_mean = 1e-3
    lam = a.rho * a.servers / service_mean
    rng = random.Random(a.seed)
    waits = []
    t0 = time.perf_counter()
    env = simpy.Environment()
    servers = simpy.Resource(env, capacity=a.servers)
    env.process(source(env, servers, a.customers, lam, service_mean, rng, waits))
    env.run()
    wall = time.perf_counter() - t0
    print(f"{wall:.6f} {sum(waits) / len(waits):.9f}")


if __name__ == "__main__":
    main()
