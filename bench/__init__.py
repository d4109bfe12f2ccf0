"""Benchmarks (``make bench``): each figure measured next to its bound or peer in the
same run, printed as one table of ratios. Benches may use the stack helpers in
``services.cli.stack``; services never import from here."""
