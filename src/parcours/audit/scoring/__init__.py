"""Risk and levels: each situation scored once from its features; weights in `weights.yaml`."""
