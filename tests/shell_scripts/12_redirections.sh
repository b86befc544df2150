# output, append, input and fd redirections
cd "$TMPDIR"
echo one > r.txt
echo two >> r.txt
cat < r.txt
wc -l < r.txt
ls /nonexistent-dir 2>/dev/null || echo "ls failed quietly"
{ echo to-stderr >&2; } 2>&1
echo combined > r2.txt 2>&1
cat r2.txt
cat r.txt nothere 2>/dev/null >r3.txt; echo "cat status: $?"
cat r3.txt
rm -f r.txt r2.txt r3.txt
