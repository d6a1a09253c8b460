"""Monte Carlo cost-benefit over samples and days (``tdcoord sweep``; docs/sweep.md)."""
