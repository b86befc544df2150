# subshell exit codes
(exit 3); echo "subshell: $?"
(false); echo "false: $?"
( (exit 7) ); echo "nested: $?"
(exit 300); echo "wrapped: $?"
( echo in subshell; exit 0 ); echo "zero: $?"
v=outer; (v=inner; echo "inside: $v"); echo "after: $v"
