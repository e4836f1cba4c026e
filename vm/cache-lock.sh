# Sourced by the scripts that fill the cache (vm/*.sh): one lock per cache
# entry, so two runs that want the same entry at once (two shells, a test
# beside make check, two worktrees) do not both build it, and neither
# removes the tree the other is writing.
#
#   cache_lock LOCKFILE WHO   take LOCKFILE's lock, waiting for its holder
#
# The lock is flock(2) on an open descriptor: it is released when the
# script exits, however it exits, and a crashed holder leaves nothing
# stale. The caller checks the cache again after it returns: a waiter
# usually finds the holder's result there. Children inherit the
# descriptor; a build's make holds the lock as long as the script does.
cache_lock() {
	local file=$1 who=$2 fd
	mkdir -p "$(dirname "$file")"
	exec {fd}>"$file"
	if ! flock -n "$fd"; then
		echo "$who: another run holds $file, waiting" >&2
		flock "$fd"
		echo "$who: $file released" >&2
	fi
}
