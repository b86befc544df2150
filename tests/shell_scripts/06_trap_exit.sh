# trap on EXIT runs on the way out and keeps the status
trap 'echo "exit trap, status $?"' EXIT
echo working
(trap 'echo subshell exit trap' EXIT; echo in subshell)
exit 3
