# Helpers for test groups: each check prints one PASS or FAIL line.
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
# expect NAME GOT WANT
expect() {
	if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "got '$2', want '$3'"; fi
}
