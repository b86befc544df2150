"""System information and limits: uname, sysinfo, getrandom, rlimits."""
