// BenchKit: placeholder until its issue lands.
