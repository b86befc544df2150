# word splitting with IFS, read -r, set --
line="a:b::c"
IFS=: read -r f1 f2 f3 f4 <<EOT
$line
EOT
echo "[$f1][$f2][$f3][$f4]"
old=$IFS; IFS=,; set -- $(echo "x,y,z"); IFS=$old
echo "$# $2"
for w in $(echo "one  two   three"); do echo "w=$w"; done
