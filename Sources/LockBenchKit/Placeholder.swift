// LockBenchKit: placeholder until its issue lands.
