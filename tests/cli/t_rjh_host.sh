# rjh-host setup on a host: its files, and names that try to be more than a
# name (a newline that would add a line to the unit's EnvironmentFile, an
# option, a path).
. "$(dirname "$0")/lib.sh"
RH="$TOP/build/rjh-host"
export RJH_HOST_ETC="$WORK/etc"
ssh-keygen -q -t ed25519 -N '' -f "$WORK/jump_key"
printf 'jump.example.com %s\n' "$(cut -d' ' -f1,2 "$WORK/jump_key.pub")" > "$WORK/known"
conf() { cat "$WORK/etc/tunnel.conf" 2> /dev/null; }

for bad in "$(printf 'web1\nLD_PRELOAD=/tmp/evil.so')" "../x" "-oProxyCommand=x" "Web1" "a..b" ""; do
	expect 2 "setup refuses the name '$(printf '%s' "$bad" | tr '\n' '|')'" -- \
		"$RH" setup "$bad" jump.example.com --known-hosts "$WORK/known"
done
for bad in "$(printf 'jump.example.com\nRJH_SERVER=evil')" "-oProxyCommand=x" "a b" ""; do
	expect 2 "setup refuses the server '$(printf '%s' "$bad" | tr '\n' '|')'" -- \
		"$RH" setup host-1 "$bad" --known-hosts "$WORK/known"
done
for bad in "$(printf '22\n1')" 0 65536 022 x; do
	expect 2 "setup refuses the port '$(printf '%s' "$bad" | tr '\n' '|')'" -- \
		"$RH" setup host-1 jump.example.com --port "$bad" --known-hosts "$WORK/known"
done
[ ! -e "$WORK/etc" ] && ok "nothing was written for any of them" || not_ok "$(ls -R "$WORK/etc")"
expect 2 "a private key as --known-hosts is refused" -- \
	"$RH" setup host-1 jump.example.com --known-hosts "$WORK/jump_key"

expect 0 "setup host-1 jump.example.com --port 2222 --known-hosts FILE" -- \
	"$RH" setup host-1 jump.example.com --port 2222 --known-hosts "$WORK/known"
has -o "rjh-admin enroll host-1 host-1.pub" "it prints the jumphost's command"
eq "$(conf | grep -v '^#')" "$(printf 'RJH_NAME=host-1\nRJH_SERVER=jump.example.com\nRJH_PORT=2222\nRJH_SSH_PORT=22')" \
	"tunnel.conf holds the four settings and nothing else"
eq "$(cut -d' ' -f1 "$WORK/etc/jumphost_known_hosts")" "[jump.example.com]:2222" \
	"the pinned key is for the server and port ssh will look up"
eq "$(stat -c %a "$WORK/etc/tunnel_key")" 600 "the tunnel key is 0600"
key=$(cat "$WORK/etc/tunnel_key.pub")
has -o "$key" "it prints the public key"
expect 0 "a second setup" -- "$RH" setup host-1 jump.example.com --known-hosts "$WORK/known"
eq "$(cat "$WORK/etc/tunnel_key.pub")" "$key" "keeps the enrolled key"
expect 0 "show" -- "$RH" show
has -o "NAME=host-1" "show prints the settings"
expect 0 "--version" -- "$RH" --version
match -o "^rjh-host [0-9]" "it prints its version"
finish
