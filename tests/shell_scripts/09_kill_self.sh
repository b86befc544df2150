# kill $$: the shell dies by SIGTERM (status 143 seen by the parent)
echo before
kill $$
echo after
