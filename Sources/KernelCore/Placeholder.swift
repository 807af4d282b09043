// KernelCore: placeholder until its issue lands.
