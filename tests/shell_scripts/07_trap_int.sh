# trap on INT, raised by kill against the shell itself
trap 'echo "got INT"; exit 4' INT
echo before
kill -INT $$
echo not reached
