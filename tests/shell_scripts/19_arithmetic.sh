# shell arithmetic
a=7; b=3
echo $((a + b)) $((a - b)) $((a * b)) $((a / b)) $((a % b))
echo $(( (a + b) * 2 )) $((a << 2)) $((a > b)) $((a == b)) $((-a))
i=0; s=0
while [ $i -lt 100 ]; do i=$((i + 1)); s=$((s + i)); done
echo "sum 1..100 = $s"
echo $(( 0x10 + 010 ))
x=5; x=$((x * x)); echo "x=$x"
expr 6 \* 7
