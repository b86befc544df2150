# subshells on both sides of a pipe
(echo a; echo b) | (read x; read y; echo "$y$x")
{ echo one; echo two; } | { while read l; do echo "got $l"; done; }
echo outer $( (echo sub; exit 2) ; echo "rc $?")
