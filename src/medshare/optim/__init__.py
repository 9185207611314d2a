"""Pure solvers: NumPy arrays in, NumPy arrays out; no database, no web."""
