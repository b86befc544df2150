# scripts run through #! (interpreter plus one argument)
cd "$TMPDIR"
printf '#!/usr/bin/busybox sh\necho "script args: $*"\nexit 9\n' > s1
chmod +x s1
./s1 a b; echo "status $?"
printf '#!%s A B C\n' "$SAMPLES/glibc/shebang_args" > s2
chmod +x s2
./s2 x y
rm -f s1 s2
