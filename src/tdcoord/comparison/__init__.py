"""Side-by-side comparison of named coordination models on one study day."""
