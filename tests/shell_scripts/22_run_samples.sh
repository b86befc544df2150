# the shell runs static programs (glibc and musl) and sees their status
"$SAMPLES/glibc/hello"; echo "glibc hello: $?"
"$SAMPLES/musl/hello"; echo "musl hello: $?"
"$SAMPLES/glibc/exit_modes" exit; echo "exit_modes: $?"
"$SAMPLES/musl/exit_modes" _exit; echo "exit_modes _exit: $?"
env -i A=1 B=2 "$SAMPLES/musl/argv_envp" x y | head -n 20
