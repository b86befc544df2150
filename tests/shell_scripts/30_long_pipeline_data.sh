# enough data to fill a pipe buffer many times over
seq 1 20000 | sed 's/$/ line/' | grep -c line
seq 1 5000 | sort -rn | head -n 3
yes abc | head -c 100000 | wc -c
