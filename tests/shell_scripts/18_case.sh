# case statements with patterns
for w in apple banana cherry 42 x.txt ''; do
  case "$w" in
    a*) echo "$w: starts with a" ;;
    *an*) echo "$w: contains an" ;;
    [0-9]*) echo "$w: number" ;;
    *.txt|*.md) echo "$w: text" ;;
    '') echo "empty" ;;
    *) echo "$w: other" ;;
  esac
done
