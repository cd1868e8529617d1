"""M/M/1 in SimPy (arrival rate 0.9, service rate 1.0), the reference for obol's
kernel benchmark. Prints customers served per second of wall time.

Debian 12's python3-simpy is SimPy 2.3 (module `SimPy`, object-oriented API with
`Simulation`, `Process`, `Resource`); SimPy 3+ (module `simpy`) is used instead when
it is the one installed. Both models are the textbook one: a server Resource of
capacity 1, a source process and one process per customer.

Usage: /usr/bin/python3 mm1_simpy.py CUSTOMERS"""
import random
import sys
import time


def run_simpy2(limit, rng):
    from SimPy.Simulation import Process, Resource, Simulation, hold, release, request

    class Customer(Process):
        def visit(self, server):
            yield request, self, server
            yield hold, self, rng.expovariate(1.0)
            yield release, self, server
            self.sim.served += 1
            if self.sim.served == limit:
                self.sim.stopSimulation()

    class Source(Process):
        def generate(self, server):
            while True:
                c = Customer(sim=self.sim)
                self.sim.activate(c, c.visit(server))
                yield hold, self, rng.expovariate(0.9)

    sim = Simulation()
    sim.initialize()
    sim.served = 0
    server = Resource(capacity=1, sim=sim)
    src = Source(sim=sim)
    sim.activate(src, src.generate(server))
    sim.simulate(until=1e15)
    return sim.served


def run_simpy3(limit, rng):
    import simpy

    env = simpy.Environment()
    server = simpy.Resource(env, capacity=1)
    served = [0]
    done = env.event()

    def customer():
        with server.request() as req:
            yield req
            yield env.timeout(rng.expovariate(1.0))
        served[0] += 1
        if served[0] == limit:
            done.succeed()

    def source():
        while True:
            env.process(customer())
            yield env.timeout(rng.expovariate(0.9))

    env.process(source())
    env.run(until=done)
    return served[0]


def main():
    limit = int(sys.argv[1])
    rng = random.Random(1)
    try:
        import simpy  # noqa: F401
        run = run_simpy3
    except ImportError:
        run = run_simpy2
    t0 = time.perf_counter()
    served = run(limit, rng)
    print(served / (time.perf_counter() - t0))


if __name__ == "__main__":
    main()
