# reading a file line by line
cd "$TMPDIR"
printf 'alice 30\nbob 25\ncarol 35\n' > people.txt
while read name age; do
  echo "$name is $age"
done < people.txt
total=0
while read _ age; do total=$((total + age)); done < people.txt
echo "total $total"
sort -k2 -n people.txt | while read n a; do echo "sorted $n"; done
while IFS=: read user rest; do echo "$user"; break; done < /etc/passwd
rm -f people.txt
