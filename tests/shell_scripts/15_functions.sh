# functions: arguments, return status, recursion, pipes
greet() { echo "hello $1 ($#)"; }
greet a b c
fact() { if [ $1 -le 1 ]; then echo 1; else echo $(( $1 * $(fact $(($1 - 1))) )); fi; }
echo "10! = $(fact 10)"
fails() { return 6; }
fails; echo "returned $?"
upper() { tr a-z A-Z; }
echo piped through a function | upper
count=0; inc() { count=$((count + 1)); }; inc; inc; echo "count $count"
