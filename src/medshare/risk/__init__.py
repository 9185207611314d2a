"""Risk rules over the region's data: overlapping commitments, outlying rates, implausible workloads."""
