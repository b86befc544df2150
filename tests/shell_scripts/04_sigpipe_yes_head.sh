# a writer killed by SIGPIPE: the lecture's 141
{ (yes; echo $? >&2) | head -n 1; } 2>&1
seq 1 100000 | head -n 2
