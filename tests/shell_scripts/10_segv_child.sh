# a child killed by SIGSEGV is reported by the shell
"$SAMPLES/musl/null_deref" 2>/dev/null
echo "status: $?"
"$SAMPLES/glibc/null_deref" >/dev/null 2>&1
echo "status: $?"
sh -c 'kill -9 $$'
echo "killed -9: $?"
