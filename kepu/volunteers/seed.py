"""Demo data for volunteers and experts (the city scale is built by bench/volunteers)."""
