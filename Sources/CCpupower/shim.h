#include <cpufreq.h>
#include <cpuidle.h>
