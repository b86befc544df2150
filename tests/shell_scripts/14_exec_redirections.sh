# exec with only redirections changes the shell's own fds
cd "$TMPDIR"
exec 3> e.txt
echo "line one" >&3
echo "line two" >&3
exec 3>&-
exec 4< e.txt
read a <&4; read b <&4
exec 4<&-
echo "read: $a / $b"
exec 5>&1
exec > e2.txt
echo "into file"
exec 1>&5 5>&-
cat e2.txt
rm -f e.txt e2.txt
exec echo "exec replaces the shell"
echo not reached
