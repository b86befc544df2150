# background jobs and wait
sleep 0.2 &
p=$!
(exit 5) &
q=$!
wait $q; echo "q: $?"
wait $p; echo "p: $?"
{ for i in 3 1 2; do (sleep 0.0$i; echo "job $i") & done; wait; } | sort
echo all done
