# trap on TERM: the handler runs, then the script continues
trap 'echo "got TERM"' TERM
kill -TERM $$
echo after TERM
trap - TERM
trap 'echo ignored' USR1
kill -USR1 $$
echo end
