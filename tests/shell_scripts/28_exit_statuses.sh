# statuses of children: exit codes and signals
for c in 0 1 2 127 128 255 256; do sh -c "exit $c"; echo "exit $c -> $?"; done
sh -c 'kill -TERM $$'; echo "TERM -> $?"
sh -c 'kill -USR1 $$'; echo "USR1 -> $?"
(sh -c "kill -KILL \$\$"); echo "subshell KILL -> $?"
