# for, while, until, break and continue
for i in a b c; do echo "for $i"; done
i=0
while [ $i -lt 5 ]; do
  i=$((i + 1))
  [ $i -eq 2 ] && continue
  [ $i -eq 4 ] && break
  echo "while $i"
done
until [ $i -le 0 ]; do echo "until $i"; i=$((i - 2)); done
for f in $(seq 1 3); do for g in x y; do printf '%s%s ' $f $g; done; done; echo
