# command substitution, nested and with backquotes
x=$(echo hello | tr a-z A-Z)
echo "x=$x"
y=$(echo "outer $(echo inner $(echo deepest))")
echo "$y"
z=`echo back quoted`
echo "$z"
n=$(seq 1 5 | wc -l)
echo "lines: $n"
empty=$(false)
echo "status of \$(false): $?"
