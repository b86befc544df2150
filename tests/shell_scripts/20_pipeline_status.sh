# a pipeline's status is the last command's
echo hi | false; echo "false last: $?"
false | echo hi; echo "echo last: $?"
seq 1 10 | grep -v 3 | sed -n '2,4p' | tr '\n' ' '; echo
printf 'b\na\nc\n' | sort | head -n 1 | cat
