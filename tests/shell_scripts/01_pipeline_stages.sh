# pipelines of three and more stages
printf 'pear\napple\npear\nfig\napple\npear\n' | sort | uniq -c | sort -rn | head -n 2
seq 1 20 | grep 1 | sed 's/1/one/' | tr -d '\n' | wc -c
echo done | cat | cat | cat | cat
