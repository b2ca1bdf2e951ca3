# rjh-host setup and jumphosts on a host: its files, the host CA line, and
# names that try to be more than a name (a newline that would add a line to
# the unit's EnvironmentFile, an option, a path). systemd itself is driven
# in tests/deb/t_boot.sh; here a real sshd with a host certificate checks
# the pinned CA line and the unit's ssh:// destination.
. "$(dirname "$0")/private-mounts.sh"
. "$(dirname "$0")/lib.sh"
RH="$TOP/build/rjh-host"
export RJH_HOST_ETC="$WORK/etc"
ssh-keygen -q -t ed25519 -N '' -f "$WORK/jump_key"
printf 'jump.example.com %s\n' "$(cut -d' ' -f1,2 "$WORK/jump_key.pub")" > "$WORK/known"
ssh-keygen -q -t ed25519 -N '' -C rjh-host-ca -f "$WORK/ca"
CA_LINE="@cert-authority * $(cut -d' ' -f1,2 "$WORK/ca.pub") rjh-host-ca"
echo "$CA_LINE" > "$WORK/ca.known"
conf() { cat "$WORK/etc/tunnel.conf" 2> /dev/null; }
state() { (cd "$WORK" && find etc -type f -exec sha256sum {} + 2> /dev/null | sort); }

for bad in "$(printf 'web1\nLD_PRELOAD=/tmp/evil.so')" "../x" "-oProxyCommand=x" "Web1" "a..b" ""; do
	expect 2 "setup refuses the name '$(printf '%s' "$bad" | tr '\n' '|')'" -- \
		"$RH" setup "$bad" jump.example.com --known-hosts "$WORK/known"
done
for bad in "$(printf 'jump.example.com\nRJH_SERVER=evil')" "$(printf 'jump1.example.com\njump2.example.com')" \
	"-oProxyCommand=x" "a b" "" "jump.example.com:" "jump.example.com:0" "jump.example.com:65536" \
	"jump.example.com:22:22" "a:b" "/etc/passwd" "jump_1.example.com" "[jump.example.com]:2222"; do
	expect 2 "setup refuses the server '$(printf '%s' "$bad" | tr '\n' '|')'" -- \
		"$RH" setup host-1 "$bad" --known-hosts "$WORK/known"
done
for bad in "2001:db8::1" "[2001:db8::1]:2222" "[::1]"; do
	expect 2 "setup refuses the IPv6 literal '$bad'" -- \
		"$RH" setup host-1 jump.example.com "$bad" --known-hosts "$WORK/known"
	has "give its DNS name" "and says why: ssh takes none in the ssh:// the unit dials"
done
long=$(printf 'a%.0s' $(seq 1 254))
expect 2 "setup refuses a server name of 254 characters" -- \
	"$RH" setup host-1 "$long" --known-hosts "$WORK/known"
for bad in "$(printf '22\n1')" 0 65536 022 x; do
	expect 2 "setup refuses the port '$(printf '%s' "$bad" | tr '\n' '|')'" -- \
		"$RH" setup host-1 jump.example.com --port "$bad" --known-hosts "$WORK/known"
done
for dup in "jump.example.com jump.example.com" "jump.example.com jump.example.com:22" \
	"jump.example.com JUMP.example.com" "jump.example.com:2222 jump.example.com --port 2222"; do
	# shellcheck disable=SC2086 # the servers and options as words
	expect 2 "setup refuses the same jumphost twice: $dup" -- \
		"$RH" setup host-1 $dup --known-hosts "$WORK/known"
	has "names a jumphost twice" "and says so"
done
expect 1 "an unknown option is a usage error" -- \
	"$RH" setup host-1 jump.example.com --bogus --known-hosts "$WORK/known"
expect 1 "setup with no SERVER is a usage error" -- "$RH" setup host-1 --known-hosts "$WORK/known"

# Host CA lines: exactly '@cert-authority * TYPE KEY [COMMENT]', nothing else.
b64=$(cut -d' ' -f2 "$WORK/ca.pub")
rsa_b64=$(ssh-keygen -q -t rsa -b 2048 -N '' -f "$WORK/rsa" && cut -d' ' -f2 "$WORK/rsa.pub")
i=0
for bad in "@revoked * ssh-ed25519 $b64" "@cert-authority *.example.com ssh-ed25519 $b64" \
	"@cert-authority jump.example.com ssh-ed25519 $b64" "@cert-authority * ssh-ed25519" \
	"@cert-authority * ssh-ed25519 ${b64}x" "@cert-authority * ssh-ed25519 ${b64%????}" \
	"@cert-authority * ssh-rsa $b64" "@cert-authority * ssh-ed25519 $rsa_b64" \
	"@cert-authority * ssh-ed25519-cert-v01@openssh.com $b64" \
	"@cert-authority * ssh-ed25519 $b64 rjh-host-ca extra" "@cert-authority * ssh-ed25519 $b64 a;b" \
	"$(printf '@cert-authority * ssh-ed25519 %s rjh-host-ca\r' "$b64")" \
	"$(printf '%s\n%s' "$CA_LINE" "$(cat "$WORK/known")")" \
	"$(printf '%s\n%s' "$CA_LINE" "$(cat "$WORK/ca")")"; do
	i=$((i + 1))
	printf '%s\n' "$bad" > "$WORK/bad$i"
	expect 2 "--known-hosts refuses: $(printf '%s' "$bad" | head -n1 | tr -d '\r' | cut -c1-60)..." -- \
		"$RH" setup host-1 jump.example.com --known-hosts "$WORK/bad$i"
	[ -n "$ERR" ] && ok "with a message" || not_ok "no message"
done
expect 2 "a private key as --known-hosts is refused" -- \
	"$RH" setup host-1 jump.example.com --known-hosts "$WORK/jump_key"
expect 2 "a missing --known-hosts file is refused" -- \
	"$RH" setup host-1 jump.example.com --known-hosts "$WORK/nonexistent"
[ ! -e "$WORK/etc" ] && ok "nothing was written for any of them" || not_ok "$(ls -R "$WORK/etc")"

expect 0 "setup host-1 jump.example.com --port 2222 --known-hosts FILE" -- \
	"$RH" setup host-1 jump.example.com --port 2222 --known-hosts "$WORK/known"
has -o "rjh-admin enroll host-1 host-1.pub" "it prints the jumphost's command"
has -o "rjh-host jumphosts jump.example.com:2222" "and the command that starts the tunnel"
eq "$(conf | grep -v '^#')" "$(printf 'RJH_NAME=host-1\nRJH_SERVER=jump.example.com\nRJH_PORT=2222\nRJH_SSH_PORT=22')" \
	"tunnel.conf holds the four settings and nothing else"
eq "$(cut -d' ' -f1 "$WORK/etc/jumphost_known_hosts")" "[jump.example.com]:2222" \
	"the pinned key is for the server and port ssh will look up"
eq "$(cat "$WORK/etc/jumphosts")" "jump.example.com:2222" "the list names the one jumphost"
eq "$(stat -c %a "$WORK/etc/tunnel_key")" 600 "the tunnel key is 0600"
key=$(cat "$WORK/etc/tunnel_key.pub")
has -o "$key" "it prints the public key"
expect 0 "a second setup" -- "$RH" setup host-1 jump.example.com --known-hosts "$WORK/known"
eq "$(cat "$WORK/etc/tunnel_key.pub")" "$key" "keeps the enrolled key"
expect 0 "show" -- "$RH" show
has -o "NAME=host-1" "show prints the settings"

echo "# several jumphosts"
expect 0 "setup host-1 with three jumphosts and plain keys" -- \
	"$RH" setup host-1 Jump1.example.com jump-2.example.com:2222 10.0.0.3 --port 2200 \
	--known-hosts "$WORK/known"
eq "$(cat "$WORK/etc/jumphosts")" "$(printf 'jump1.example.com:2200\njump-2.example.com:2222\n10.0.0.3:2200')" \
	"the list: each jumphost as ADDRESS:PORT, lowercase, --port where it had none"
eq "$(cut -d' ' -f1 "$WORK/etc/jumphost_known_hosts" | tr '\n' ' ')" \
	"[jump1.example.com]:2200 [jump-2.example.com]:2222 [10.0.0.3]:2200 " "the plain key is pinned for each"
has -o "rjh-host jumphosts jump1.example.com:2200 jump-2.example.com:2222 10.0.0.3:2200" \
	"setup prints the command with the whole list"
eq "$(conf | grep -v '^#' | tr '\n' ' ')" "RJH_NAME=host-1 RJH_SERVER=jump1.example.com RJH_PORT=2200 RJH_SSH_PORT=22 " \
	"tunnel.conf names the first one (for rjh-tunnel.service)"

expect 0 "setup with the host CA line as --known-hosts" -- \
	"$RH" setup host-1 jump1.example.com jump2.example.com --known-hosts "$WORK/ca.known"
eq "$(cat "$WORK/etc/jumphost_known_hosts")" "$CA_LINE" "the CA line is pinned unchanged, and nothing else"
printf '# the fleet CA\n\n%s\n' "$CA_LINE" > "$WORK/ca2.known"
expect 0 "comments and blank lines beside it are fine" -- \
	"$RH" setup host-1 jump1.example.com --known-hosts "$WORK/ca2.known"
eq "$(cat "$WORK/etc/jumphost_known_hosts")" "$CA_LINE" "and are not pinned"
expect 0 "show with a CA pinned" -- "$RH" show
has -o "host CA: 256 SHA256:" "show prints the CA's fingerprint"

before=$(state)
expect 2 "jumphosts refuses a duplicate" -- "$RH" jumphosts jump1.example.com jump1.example.com:22
expect 2 "jumphosts refuses an option as a server" -- "$RH" jumphosts -oProxyCommand=x
expect 2 "jumphosts refuses a newline in a server" -- "$RH" jumphosts "$(printf 'a.example.com\nb.example.com')"
expect 1 "jumphosts takes no --ssh-port (setup's)" -- "$RH" jumphosts jump1.example.com --ssh-port 2
expect 1 "jumphosts with no SERVER is a usage error" -- "$RH" jumphosts
expect 4 "jumphosts without systemd as PID 1 refuses" -- "$RH" jumphosts jump1.example.com
has "systemd is not running" "and says why"
eq "$(state)" "$before" "none of them changed a file"
RJH_HOST_ETC="$WORK/none" expect 3 "jumphosts before setup: not set up" -- "$RH" jumphosts jump1.example.com

echo "# the unit's destination, as the real ssh reads it"
unit="$TOP/systemd/rjh-tunnel@.service"
dest=$(sed -n 's/^[[:space:]]*\(ssh:[^[:space:]]*\)$/\1/p' "$unit")
eq "$dest" 'ssh://${RJH_NAME}@%I' "rjh-tunnel@.service dials ssh://\${RJH_NAME}@%I"
for inst in jump1.example.com:2200 jump-2.example.com 10.0.0.3:2222; do
	esc=$(systemd-escape -- "$inst")
	back=$(systemd-escape -u -- "$esc")
	eq "$back" "$inst" "rjh-tunnel@$esc.service: %I is $inst again"
	g=$(ssh -F none -G "ssh://host-1@$back" 2> /dev/null | awk '$1 ~ /^(user|hostname|port)$/' | sort | tr '\n' ' ')
	p=${inst##*:}
	[ "$p" = "$inst" ] && p=22
	eq "$g" "hostname ${inst%:*} port $p user host-1 " "ssh reads ssh://host-1@$inst: host, port $p, user"
done
ssh -F none -G 'ssh://host-1@[2001:db8::1]:2222' > /dev/null 2>&1 &&
	not_ok "ssh now takes an IPv6 literal in ssh://: rjh-host could allow them" ||
	ok "ssh takes no IPv6 literal in ssh:// (why rjh-host refuses them)"
diff <(sed -n '/^Restart=/,$p' "$TOP/systemd/rjh-tunnel.service") <(sed -n '/^Restart=/,$p' "$unit") > /dev/null &&
	ok "the template restarts and is sandboxed as rjh-tunnel.service" || not_ok "the template's hardening differs"
eq "$(grep -c '^Restart=always$' "$unit")" 1 "each instance restarts on its own (Restart=always)"

echo "# the pinned CA line against a real sshd with a host certificate"
# sshd needs /run/sshd: a tmpfs over /run in this test's own mount namespace.
mount -t tmpfs -o mode=755 rjh-test "/run" && mkdir -m 755 /run/sshd
ssh-keygen -q -t ed25519 -N '' -f "$WORK/hostkey"
ssh-keygen -q -s "$WORK/ca" -I "rjh-jumphost jump1" -h -n 127.0.0.1,jump1 "$WORK/hostkey.pub"
ssh-keygen -q -t ed25519 -N '' -C other-ca -f "$WORK/other_ca"
for _ in 1 2 3 4 5; do
	PORT=$((20000 + RANDOM % 20000))
	/usr/sbin/sshd -D -e -f /dev/null -o ListenAddress="127.0.0.1:$PORT" -o HostKey="$WORK/hostkey" \
		-o HostCertificate="$WORK/hostkey-cert.pub" -o PidFile=none -o UsePAM=no \
		-o AuthorizedKeysFile=none 2> "$WORK/sshd.log" &
	SSHD=$!
	for _ in $(seq 50); do
		grep -q "listening on" "$WORK/sshd.log" && break
		kill -0 "$SSHD" 2> /dev/null || break
		sleep 0.1
	done
	kill -0 "$SSHD" 2> /dev/null && break
done
trap 'kill "$SSHD" 2> /dev/null; wait "$SSHD" 2> /dev/null; rm -rf "$WORK"' EXIT
# ssh as the unit runs it, up to authentication: host-1 is no user here.
dial() {
	timeout 20 ssh -N -F none -o BatchMode=yes -o IdentitiesOnly=yes -i "$WORK/etc/tunnel_key" \
		-o UserKnownHostsFile="$WORK/etc/jumphost_known_hosts" -o GlobalKnownHostsFile=/dev/null \
		-o StrictHostKeyChecking=yes -o CheckHostIP=no -o UpdateHostKeys=no "ssh://host-1@$1" 2>&1
}
expect 0 "setup with the CA line for 127.0.0.1:$PORT" -- \
	"$RH" setup host-1 "127.0.0.1:$PORT" --known-hosts "$WORK/ca.known"
out=$(dial "127.0.0.1:$PORT")
case $out in
*"Permission denied"*) ok "ssh://host-1@127.0.0.1:$PORT: the certificate is trusted, on to authentication" ;;
*) not_ok "ssh to the certified sshd: $out" ;;
esac
echo "@cert-authority * $(cut -d' ' -f1,2 "$WORK/other_ca.pub") rjh-host-ca" > "$WORK/other.known"
expect 0 "setup with another CA's line" -- "$RH" setup host-1 "127.0.0.1:$PORT" --known-hosts "$WORK/other.known"
out=$(dial "127.0.0.1:$PORT")
case $out in
*"Host key verification failed"*) ok "a certificate of another CA is refused" ;;
*) not_ok "another CA: $out" ;;
esac

expect 0 "--version" -- "$RH" --version
match -o "^rjh-host [0-9]" "it prints its version"
finish
