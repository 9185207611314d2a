"""The deterministic synthetic region that feeds the first start, the tests and the benchmarks."""
