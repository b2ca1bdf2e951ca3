# The configuration rjh-admin prints for both ends and the audit trail:
# client-config (a client's ~/.ssh/config through rjh-connect), host-unit (a
# host's systemd unit, and the jumphost's host keys it pins), host keys
# recorded with enroll --host-key and set-host-key, known-hosts for
# clients, and audit over the events table. Outputs are compared exactly
# and parsed by the real ssh (ssh -G), ssh-keygen -F and systemd-analyze;
# every refusal leaves the registry as it was and prints nothing on stdout.
. "$(dirname "$0")/lib.sh"
write_conf
expect 0 "init" -- rjh init
K=$WORK/keys
mkdir -p "$K"

# refuse RC DESCRIPTION REGEX -- COMMAND...: exits RC, says REGEX on stderr
# after "rjh-admin: CMD: ", prints nothing and changes nothing.
refuse() {
	local rc=$1 desc=$2 re=$3
	shift 4
	dump > "$WORK/before"
	expect "$rc" "$desc: exit $rc" -- "$@"
	match "^rjh-admin: [a-z-]+: .*($re)" "$desc: the reason"
	eq "$OUT" "" "$desc: nothing on stdout"
	unchanged "$WORK/before" "$desc: registry unchanged"
}

# The value of one keyword in `ssh -G` output ($OUT).
gval() {
	printf '%s\n' "$OUT" | awk -v k="$1" '$1 == k { sub(/^[^ ]+ /, ""); print; exit }'
}

# host_key NAME [TYPE [BITS]]: an sshd-style host key pair $K/NAME(.pub).
host_key() {
	rm -f "$K/$1" "$K/$1.pub"
	ssh-keygen -q -N '' -t "${2:-ed25519}" ${3:+-b "$3"} -C "root@$1" -f "$K/$1"
	echo "$K/$1.pub"
}

for c in client-config host-unit set-host-key known-hosts audit; do
	expect 0 "$c --help" -- rjh "$c" --help
	match -o "^Usage: rjh-admin .* $c " "$c --help gives its usage"
done
expect 0 "rjh-admin --help" -- "$ADMIN" --help
for c in client-config host-unit set-host-key known-hosts audit; do
	match -o "^  $c +[A-Z]" "rjh-admin --help lists $c"
done

echo "# enroll --host-key, set-host-key"
hk1=$(host_key hk1)
expect 0 "enroll host-1 with its host key" -- rjh enroll host-1 "$(newkey h1)" --host-key "$hk1"
has -o "Clients pin its host key $(fp_of "$hk1")" "enroll names the host key"
has -o "'rjh-admin host-unit host-1' prints a systemd unit" "enroll points to host-unit"
expect 0 "show host-1" -- rjh show host-1
has -o "host keys: for clients' known_hosts
  $(fp_of "$hk1")  ssh-ed25519  recorded " "show lists the host key under 'host keys:'"
expect 0 "show --json host-1" -- rjh show --json host-1
jtrue "show --json: host_keys has the fingerprint, type and created" \
	"[(k['fingerprint'], k['type']) for k in d['host_keys']] == [('$(fp_of "$hk1")', 'ssh-ed25519')] and d['host_keys'][0]['created'].endswith('Z') and 'key' not in d['host_keys'][0]"
eq "$(q "SELECT detail FROM events WHERE op = 'rjh-enroll' AND host = 'host-1'")" \
	"key_type=ssh-ed25519 host_key=$(fp_of "$hk1")" "the enroll event names the host key"
expect 0 "enroll host-2 without a host key" -- rjh enroll host-2 "$(newkey h2)"
lacks -o "Clients pin" "no host key, no pin line"
expect 0 "show host-2" -- rjh show host-2
has -o "host keys: for clients' known_hosts
  (none recorded)" "show says none is recorded"

# Refused host key files: exactly as login keys, plus security-key types.
ssh-keygen -q -N '' -t rsa -b 2048 -f "$K/rsa2048"
"$PY" - "$K/sk.pub" <<'EOF'
import base64, struct, sys
def s(b): return struct.pack('>I', len(b)) + b
blob = s(b'sk-ssh-ed25519@openssh.com') + s(b'\x11' * 32) + s(b'ssh:')
open(sys.argv[1], 'w').write('sk-ssh-ed25519@openssh.com ' + base64.b64encode(blob).decode() + ' sk\n')
EOF
expect 0 "a security key is a valid login key" -- rjh enroll sk-login "$K/sk.pub"
cat "$hk1" "$(host_key second)" > "$K/two.pub"
refuse 2 "enroll --host-key with a private key" "host key: .*PRIVATE" -- \
	rjh enroll host-3 "$(newkey h3)" --host-key "$K/hk1"
refuse 2 "enroll --host-key with an RSA 2048 key" "host key: .*RSA" -- \
	rjh enroll host-3 "$(newkey h3)" --host-key "$K/rsa2048.pub"
refuse 2 "enroll --host-key with a security key" "security key" -- \
	rjh enroll host-3 "$(newkey h3)" --host-key "$K/sk.pub"
refuse 2 "enroll --host-key with two keys in the file" "more than one key" -- \
	rjh enroll host-3 "$(newkey h3)" --host-key "$K/two.pub"
refuse 2 "enroll --host-key with a missing file" "[Nn]o such file" -- \
	rjh enroll host-3 "$(newkey h3)" --host-key "$K/nonexistent.pub"
refuse 3 "enroll --host-key with host-1's host key" "already recorded for host host-1" -- \
	rjh enroll host-3 "$(newkey h3)" --host-key "$hk1"
expect 0 "enroll host-3" -- rjh enroll host-3 "$(newkey h3)"

hk1b=$(host_key hk1b)
hk1e=$(host_key hk1e ecdsa 256)
expect 0 "set-host-key host-1 with an ed25519 and an ecdsa key" -- rjh set-host-key host-1 "$hk1b" "$hk1e"
eq "$OUT" "recorded host key $(fp_of "$hk1b") (ssh-ed25519) for host-1
recorded host key $(fp_of "$hk1e") (ecdsa-sha2-nistp256) for host-1
replaced 1 earlier host key" "set-host-key says what it recorded and replaced"
eq "$(q "SELECT group_concat(fingerprint, ' ') FROM (SELECT fingerprint FROM host_keys hk JOIN hosts h ON h.id = hk.host_id WHERE h.name = 'host-1' ORDER BY hk.id)")" \
	"$(fp_of "$hk1b") $(fp_of "$hk1e")" "host-1 has exactly the two new host keys"
eq "$(q "SELECT detail FROM events WHERE op = 'rjh-set-host-key'")" \
	"host_keys=$(fp_of "$hk1b"),$(fp_of "$hk1e") replaced=1" "the event names them and the count replaced"
expect 0 "the old host key is free again" -- rjh set-host-key host-2 "$hk1"
eq "$OUT" "recorded host key $(fp_of "$hk1") (ssh-ed25519) for host-2" "no 'replaced' line when nothing was"
refuse 2 "set-host-key with two ed25519 keys" "both ssh-ed25519 keys" -- \
	rjh set-host-key host-3 "$(host_key a1)" "$(host_key a2)"
refuse 2 "set-host-key with a private key" "PRIVATE" -- rjh set-host-key host-3 "$K/hk1b"
refuse 2 "set-host-key with a certificate" "certificate" -- \
	rjh set-host-key host-3 "$(ssh-keygen -q -s "$K/hk1" -I id -h -n host-3 "$(host_key hc)" && echo "$K/hc-cert.pub")"
refuse 3 "set-host-key of a host that is not enrolled" "not enrolled" -- rjh set-host-key host-9 "$(host_key a3)"
refuse 3 "set-host-key with another host's key" "already recorded for host host-1" -- \
	rjh set-host-key host-3 "$hk1e"
refuse 2 "set-host-key of a bad name" "host name|character|letter" -- rjh set-host-key ../x "$(host_key a4)"
expect 1 "set-host-key without a file" -- rjh set-host-key host-3
expect 1 "set-host-key with more than 8 files" -- rjh set-host-key host-3 a b c d e f g h i
expect 0 "export" -- rjh export
jtrue "export: host_keys per host, with the key itself" \
	"[ (k['type'], k['key']) for h in d['hosts'] if h['name'] == 'host-1' for k in h['host_keys'] ] == [('ssh-ed25519', '$(cut -d' ' -f2 "$hk1b")'), ('ecdsa-sha2-nistp256', '$(cut -d' ' -f2 "$hk1e")')] and all('host_keys' in h for h in d['hosts'])"

echo "# known-hosts"
expect 0 "host-4 with a host key" -- rjh enroll host-4 "$(newkey h4)" --host-key "$(host_key hk4)"
expect 0 "host-5 with a host key" -- rjh enroll host-5 "$(newkey h5)" --host-key "$(host_key hk5)"
expect 0 "disable host-4" -- rjh revoke host-4
expect 0 "expire host-5" -- rjh modify host-5 --expires 1970-01-01T00:16:40Z
expect 0 "known-hosts" -- rjh known-hosts
eq "$OUT" "host-1 ssh-ed25519 $(cut -d' ' -f2 "$hk1b")
host-1 ecdsa-sha2-nistp256 $(cut -d' ' -f2 "$hk1e")
host-2 ssh-ed25519 $(cut -d' ' -f2 "$hk1")" \
	"one line per host key of each active host, by name; disabled and expired hosts left out"
eq "$ERR" "rjh-admin: known-hosts: note: 2 active hosts without a recorded host key are not listed ('rjh-admin set-host-key NAME FILE')" \
	"the hosts without a host key (host-3, sk-login) are counted on stderr"
printf '%s\n' "$OUT" > "$WORK/known_hosts.rjh"
expect 0 "ssh-keygen -F host-1 finds host-1's keys" -- ssh-keygen -F host-1 -f "$WORK/known_hosts.rjh"
eq "$(printf '%s\n' "$OUT" | grep -vc '^#')" 2 "both of host-1's keys"
has -o "$(cut -d' ' -f2 "$hk1e")" "including the ecdsa key"
expect 0 "ssh-keygen -F host-2" -- ssh-keygen -F host-2 -f "$WORK/known_hosts.rjh"
has -o "host-2 ssh-ed25519 $(cut -d' ' -f2 "$hk1")" "host-2's line"
expect 1 "ssh-keygen -F host-4 finds nothing (disabled)" -- ssh-keygen -F host-4 -f "$WORK/known_hosts.rjh"
# A registry edited by hand must not add lines (an @cert-authority, say).
cp "$WORK/reg/registry.db" "$WORK/reg.bak"
q "UPDATE host_keys SET blob = blob || char(10) || '@cert-authority * ssh-ed25519 AAAA' WHERE fingerprint = '$(fp_of "$hk1")'"
expect 4 "known-hosts refuses a malformed stored host key" -- rjh known-hosts
lacks -o "@cert-authority" "the injected line is not printed"
match "malformed host key" "and says why"
cp "$WORK/reg.bak" "$WORK/reg/registry.db"
expect 1 "known-hosts takes no argument" -- rjh known-hosts host-1

echo "# client-config"
expect 0 "client-config --server --pattern --user" -- \
	rjh client-config --server jump.example.com --pattern 'host-*' --user alice
want=$(cat <<'EOF'
# rjh: ssh client configuration for the hosts behind jump.example.com
# ('rjh-admin client-config'). Put it in ~/.ssh/config before any 'Host *'
# block: ssh takes the first value it finds. Save 'rjh-admin known-hosts'
# as ~/.ssh/known_hosts.rjh: the only host keys these hosts may show.
# A name with a quote in it never reaches the ProxyCommand's shell.
Host jump.example.com
	User alice
Host host-* "!*'*"
	ProxyCommand ssh -a -x -T jump.example.com rjh-connect '%h'
	UserKnownHostsFile ~/.ssh/known_hosts.rjh
	StrictHostKeyChecking yes
EOF
)
eq "$OUT" "$want" "the exact block"
printf '%s\n' "$OUT" > "$WORK/ssh_config"
expect 0 "ssh -G host-7 parses it" -- env HOME="$WORK" ssh -F "$WORK/ssh_config" -G host-7
eq "$(gval proxycommand)" "ssh -a -x -T jump.example.com rjh-connect '%h'" "host-7 goes through rjh-connect"
eq "$(gval userknownhostsfile)" "$(getent passwd "$(id -un)" | cut -d: -f6)/.ssh/known_hosts.rjh" \
	"host-7's only known_hosts is ~/.ssh/known_hosts.rjh"
eq "$(gval stricthostkeychecking)" true "host-7 is checked strictly"
expect 0 "ssh -G jump.example.com" -- env HOME="$WORK" ssh -F "$WORK/ssh_config" -G jump.example.com
eq "$(gval user)" alice "the hop logs in as alice"
eq "$(gval proxycommand)" "" "the hop itself has no ProxyCommand"
expect 0 "ssh -G web-1 (not covered)" -- env HOME="$WORK" ssh -F "$WORK/ssh_config" -G web-1
eq "$(gval proxycommand)" "" "a name outside the patterns is left alone"

expect 0 "client-config: server from public_name, a list of patterns" -- \
	rjh client-config --pattern 'host-*,db-?,host-*'
has -o "hosts behind jump.example.com" "the server is public_name"
match -o "^Host db-\? host-\* \"!\*'\*\"$" "patterns sorted, duplicates dropped, on one Host line"
lacks -o "User " "no User line without --user"
expect 0 "a pattern that matches the server" -- rjh client-config --server host-jump --pattern 'host-*'
match -o "^Host host-\* !host-jump \"!\*'\*\"$" "the server is excluded, so the hop does not loop"
printf '%s\n' "$OUT" > "$WORK/ssh_config2"
expect 0 "ssh -G host-jump" -- env HOME="$WORK" ssh -F "$WORK/ssh_config2" -G host-jump
eq "$(gval proxycommand)" "" "ssh reaches the server itself directly"
expect 0 "client-config --server 192.0.2.7" -- rjh client-config --server 192.0.2.7 --pattern 'h-*'
has -o "ProxyCommand ssh -a -x -T 192.0.2.7 rjh-connect '%h'" "an IPv4 address is a server"

refuse 2 "--pattern with a newline and a directive" "pattern" -- \
	rjh client-config --pattern $'x\n ProxyCommand evil'
refuse 2 "--pattern with a space" "pattern" -- rjh client-config --pattern 'host-* evil'
refuse 2 "--pattern starting with -" "pattern" -- rjh client-config --pattern '-oProxyCommand=x'
refuse 2 "--pattern with a quote" "pattern" -- rjh client-config --pattern "h'*"
refuse 2 "--pattern with %" "pattern" -- rjh client-config --pattern 'h%h'
refuse 2 "--pattern with an empty item" "pattern is empty" -- rjh client-config --pattern 'host-*,'
refuse 2 "--pattern empty" "pattern is empty" -- rjh client-config --pattern ''
refuse 2 "--server as an option" "--server .* is not a host name" -- \
	rjh client-config --server '-oProxyCommand=x' --pattern 'h-*'
refuse 2 "--server with a newline and a directive" "not a host name" -- \
	rjh client-config --server $'jump\nProxyCommand evil' --pattern 'h-*'
refuse 2 "--server with a space" "not a host name" -- rjh client-config --server 'jump evil' --pattern 'h-*'
refuse 2 "--server with %" "not a host name" -- rjh client-config --server 'j%h' --pattern 'h-*'
refuse 2 "--server with a quote" "not a host name" -- rjh client-config --server "j'x" --pattern 'h-*'
refuse 2 "--server with .." "not a host name" -- rjh client-config --server 'a..b' --pattern 'h-*'
refuse 2 "--server too long" "not a host name" -- rjh client-config --server "$(printf 'a%.0s' {1..300})" --pattern 'h-*'
refuse 2 "--user with a space" "--user must be a user name" -- \
	rjh client-config --user 'alice x' --pattern 'h-*'
refuse 2 "--user with a newline" "--user must be a user name" -- \
	rjh client-config --user $'alice\nProxyCommand evil' --pattern 'h-*'

# Without --pattern: the grants' patterns.
refuse 3 "no grants, no --pattern" "no grants" -- rjh client-config
expect 0 "grant @root web-*" -- rjh grant @root 'web-*'
expect 0 "grant nobody db-1" -- rjh grant nobody db-1
expect 0 "grant root web-*" -- rjh grant root 'web-*'
expect 0 "client-config from every grant" -- rjh client-config
match -o "^Host db-1 web-\* \"!\*'\*\"$" "the grants' patterns, sorted and unique"
expect 0 "client-config --user nobody" -- rjh client-config --user nobody
match -o "^Host db-1 \"!\*'\*\"$" "only nobody's grants"
has -o "Host jump.example.com
	User nobody" "and nobody's User line"
expect 0 "client-config --user root" -- rjh client-config --user root
match -o "^Host web-\* \"!\*'\*\"$" "root's own grant and its group's"
refuse 3 "--user that does not exist, no --pattern" "no user no-such-user-x" -- \
	rjh client-config --user no-such-user-x
expect 0 "--user that does not exist, with --pattern" -- \
	rjh client-config --user no-such-user-x --pattern 'h-*'
expect 0 "grant bob *" -- rjh grant nobody '*'
refuse 2 "a grant of '*' is not a default" "grant pattern '\*' would send every ssh" -- rjh client-config
expect 0 "an explicit --pattern still works" -- rjh client-config --pattern 'web-*'
expect 0 "ungrant it" -- rjh ungrant nobody '*'
expect 1 "client-config takes no argument" -- rjh client-config host-1

echo "# host-unit"
expect 0 "host-unit host-1" -- rjh host-unit host-1
want=$(cat <<'EOF'
# rjh: the tunnel of host-1 to jump.example.com ('rjh-admin host-unit host-1').
# On host-1, as root:
#   /etc/rjh/tunnel_key            the private key enrolled for host-1 (0600)
#   /etc/rjh/jumphost_known_hosts  'rjh-admin host-unit host-1 --known-hosts'
#   this file as /etc/systemd/system/rjh-tunnel.service, then
#   systemctl daemon-reload && systemctl enable --now rjh-tunnel.service
[Unit]
Description=rjh tunnel of host-1 to jump.example.com
Wants=network-online.target
After=network-online.target
# Never give up: the jumphost may be away for a long time.
StartLimitIntervalSec=0

[Service]
Type=exec
ExecStart=/usr/bin/ssh -N -o ExitOnForwardFailure=yes -o ServerAliveInterval=30 -o ServerAliveCountMax=3 -F none -o BatchMode=yes -o IdentitiesOnly=yes -i /etc/rjh/tunnel_key -o UserKnownHostsFile=/etc/rjh/jumphost_known_hosts -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes -o CheckHostIP=no -o UpdateHostKeys=no -R /sock/ssh.sock:localhost:22 host-1@jump.example.com
Restart=always
RestartSec=5
# ssh reads its key and the pinned host keys (root's, 0600 and 0644) and
# dials out; it needs no capability and writes nothing.
CapabilityBoundingSet=
AmbientCapabilities=
NoNewPrivileges=yes
UMask=0077
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectProc=invisible
ProtectClock=yes
ProtectHostname=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX AF_NETLINK
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
MemoryDenyWriteExecute=yes
SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallErrorNumber=EPERM

[Install]
WantedBy=multi-user.target
EOF
)
eq "$OUT" "$want" "the exact unit"
eq "$ERR" "" "nothing on stderr"
mkdir -p "$WORK/unit"
printf '%s\n' "$OUT" > "$WORK/unit/rjh-tunnel.service"
if command -v systemd-analyze > /dev/null; then
	expect 0 "systemd-analyze verify" -- systemd-analyze verify "$WORK/unit/rjh-tunnel.service"
	eq "$ERR$OUT" "" "systemd-analyze has nothing to say about it"
	expect 0 "systemd-analyze security --offline" -- \
		systemd-analyze security --offline=true --threshold=30 "$WORK/unit/rjh-tunnel.service"
	match -o "Overall exposure level for rjh-tunnel.service: [0-2]\.[0-9] OK" \
		"its exposure is OK (at most 2.9): ${OUT##*level for rjh-tunnel.service: }"
else
	ok "systemd-analyze is not installed: not verified"
fi
# The tunnel command, as ssh parses it (with a key file that exists).
read -ra cmd <<< "$(sed -n 's/^ExecStart=//p' "$WORK/unit/rjh-tunnel.service")"
cmd=("${cmd[@]/\/etc\/rjh\/tunnel_key/$K/h1}")
expect 0 "ssh -G parses the ExecStart" -- "${cmd[0]}" -G "${cmd[@]:1}"
for kv in "user host-1" "hostname jump.example.com" "batchmode yes" "identitiesonly yes" \
	"identityfile $K/h1" "userknownhostsfile /etc/rjh/jumphost_known_hosts" \
	"globalknownhostsfile /dev/null" "stricthostkeychecking true" "checkhostip no" \
	"updatehostkeys false" "exitonforwardfailure yes" "serveraliveinterval 30" \
	"serveralivecountmax 3" "remoteforward /sock/ssh.sock [localhost]:22"; do
	eq "$(gval "${kv%% *}")" "${kv#* }" "ExecStart: ${kv%% *} is ${kv#* }"
done
expect 0 "host-unit --server" -- rjh host-unit host-2 --server 10.0.0.1
has -o "-R /sock/ssh.sock:localhost:22 host-2@10.0.0.1
" "the tunnel goes to --server"
refuse 3 "host-unit of a host that is not enrolled" "host host-9 is not enrolled" -- rjh host-unit host-9
refuse 2 "host-unit of a bad name" "host name|character|letter" -- rjh host-unit -- -oProxyCommand=x
refuse 2 "host-unit --server as an option" "not a host name" -- rjh host-unit host-1 --server -oProxyCommand=x
refuse 2 "host-unit --server with a newline" "not a host name" -- \
	rjh host-unit host-1 --server $'jump\nExecStartPre=/bin/evil'
expect 1 "--host-keys needs --known-hosts" -- rjh host-unit host-1 --host-keys /etc/ssh
expect 1 "host-unit without NAME" -- rjh host-unit
expect 0 "host-unit of a disabled host" -- rjh host-unit host-4
match "note: host-4 is disabled" "says the host is disabled"
has -o "ExecStart=/usr/bin/ssh" "and prints the unit"

# --known-hosts: the jumphost's own host keys, pinned by the host.
J=$WORK/jump-etc-ssh
mkdir -p "$J"
for t in ed25519 ecdsa; do
	ssh-keygen -q -N '' -t $t -C root@jump -f "$J/ssh_host_${t}_key"
done
ssh-keygen -q -N '' -t rsa -b 2048 -f "$J/ssh_host_rsa_key"
cp "$J/ssh_host_ed25519_key" "$J/ssh_host_zz_key.pub"  # a private key under a .pub name
cp "$J/ssh_host_ecdsa_key.pub" "$J/not_a_host_key.pub"
expect 0 "host-unit --known-hosts --host-keys DIR" -- rjh host-unit host-1 --known-hosts --host-keys "$J"
eq "$OUT" "jump.example.com $(cut -d' ' -f1,2 "$J/ssh_host_ecdsa_key.pub")
jump.example.com $(cut -d' ' -f1,2 "$J/ssh_host_ed25519_key.pub")" \
	"one 'SERVER TYPE BASE64' line per usable ssh_host_*_key.pub, by file name"
match "host key: $J/ssh_host_rsa_key.pub.*RSA" "a short RSA key is skipped with its reason"
match "host key: $J/ssh_host_zz_key.pub holds a PRIVATE key" "a private key is skipped with its reason"
lacks "not_a_host_key" "other .pub files are not read"
printf '%s\n' "$OUT" > "$WORK/jumphost_known_hosts"
expect 0 "ssh-keygen -F finds the jumphost" -- ssh-keygen -F jump.example.com -f "$WORK/jumphost_known_hosts"
eq "$(printf '%s\n' "$OUT" | grep -vc '^#')" 2 "both pinned keys"
expect 0 "--known-hosts --host-key FILE --server" -- \
	rjh host-unit host-1 --known-hosts --host-key "$J/ssh_host_ed25519_key.pub" --server 10.0.0.1
eq "$OUT" "10.0.0.1 $(cut -d' ' -f1,2 "$J/ssh_host_ed25519_key.pub")" "one line, for --server"
refuse 2 "--known-hosts --host-key with a private key" "PRIVATE" -- \
	rjh host-unit host-1 --known-hosts --host-key "$J/ssh_host_ed25519_key"
mkdir -p "$WORK/empty"
refuse 2 "--known-hosts with no host key in DIR" "no usable host public key" -- \
	rjh host-unit host-1 --known-hosts --host-keys "$WORK/empty"
refuse 2 "--known-hosts with a missing DIR" "No such file" -- \
	rjh host-unit host-1 --known-hosts --host-keys "$WORK/nonexistent"
refuse 3 "--known-hosts of a host that is not enrolled" "not enrolled" -- \
	rjh host-unit host-9 --known-hosts --host-keys "$J"
expect 1 "--host-keys and --host-key together" -- \
	rjh host-unit host-1 --known-hosts --host-keys "$J" --host-key "$J/ssh_host_ed25519_key.pub"

echo "# audit"
# Every event so far is older than now; the rows below are placed around it.
sleep 1
now=$(date +%s)
nobody=$(id -u nobody)
# Rows as pam_rjh and rjh-connect write them (actor_auid NULL when unset).
q "INSERT INTO events(time, type, op, actor_uid, actor_auid, host, fingerprint, result, detail) VALUES
	($((now - 864000)), 'USER_START', 'rjh-tunnel', 0, NULL, 'host-1', 'SHA256:old', 'success', 'addr=192.0.2.1 socket=\"/run/rjh/hosts/host-1/sock/ssh.sock\"'),
	($((now - 172800)), 'USER_START', 'rjh-connect', $nobody, $nobody, 'host-1', NULL, 'success', 'addr=198.51.100.7'),
	($((now - 172700)), 'USER_END', 'rjh-connect', $nobody, $nobody, 'host-1', NULL, 'success', 'addr=198.51.100.7 bytes_to_host=123 bytes_from_host=456'),
	($((now - 3600)), 'USER_ACCT', 'rjh-connect', $nobody, $nobody, 'host-2', NULL, 'failed', 'addr=198.51.100.7 reason=\"not-granted\"'),
	($((now - 1800)), 'USER_MGMT', 'rjh-grant', 0, $nobody, NULL, NULL, 'success', 'principal=x pattern=y'),
	($((now - 7200)), 'USER_END', 'rjh-tunnel', 0, NULL, 'host-1', 'SHA256:old', 'success', 'addr=192.0.2.1 socket=\"/run/rjh/hosts/host-1/sock/ssh.sock\"'),
	($((now + 86400)), 'USER_START', 'rjh-tunnel', 0, NULL, 'host-6', NULL, 'success', 'addr=192.0.2.6');"
total=$(q "SELECT count(*) FROM events")
expect 0 "audit" -- rjh audit
eq "$(printf '%s\n' "$OUT" | head -1 | tr -s ' ')" "TIME TYPE OP RESULT HOST ACTOR FINGERPRINT DETAIL" "a header"
eq "$(printf '%s\n' "$OUT" | tail -n +2 | wc -l)" "$total" "one line per event"
eq "$(printf '%s\n' "$OUT" | tail -n +2 | awk '{print $1}' | sort -c && echo sorted)" sorted "oldest first"
has -o "rjh-enroll" "admin changes are there"
match -o "rjh-connect +success +host-1 +nobody +- +addr=198.51.100.7 bytes_to_host=123 bytes_from_host=456" \
	"a connection with its bytes, its actor by name"
match -o "USER_ACCT +rjh-connect +failed +host-2 +nobody" "a refusal"
match -o "rjh-grant +success +- +root\(auid=nobody\)" "a change through sudo names the login user"
expect 0 "audit --host host-1" -- rjh audit --host host-1
eq "$(printf '%s\n' "$OUT" | tail -n +2 | awk '{print $3}' | tr '\n' ' ')" \
	"rjh-tunnel rjh-connect rjh-connect rjh-tunnel rjh-enroll rjh-set-host-key " \
	"host-1's events only, oldest first"
expect 0 "audit --host host-1 --since 3d" -- rjh audit --host host-1 --since 3d
eq "$(printf '%s\n' "$OUT" | tail -n +2 | awk '{print $2 "/" $3}' | tr '\n' ' ')" \
	"USER_START/rjh-connect USER_END/rjh-connect USER_END/rjh-tunnel USER_MGMT/rjh-enroll USER_MGMT/rjh-set-host-key " \
	"--since 3d drops the 10-day-old tunnel start"
expect 0 "audit --user nobody" -- rjh audit --user nobody
eq "$(printf '%s\n' "$OUT" | tail -n +2 | awk '{print $3}' | tr '\n' ' ')" \
	"rjh-connect rjh-connect rjh-connect rjh-grant " "nobody's connections, refusal and its change through sudo"
expect 0 "audit --user UID" -- rjh audit --user "$nobody" --since 2h
eq "$(printf '%s\n' "$OUT" | tail -n +2 | awk '{print $3 "/" $4}' | tr '\n' ' ')" \
	"rjh-connect/failed rjh-grant/success " "a numeric uid, combined with --since 2h"
expect 0 "audit --host host-2 --user nobody --since 1d" -- rjh audit --host host-2 --user nobody --since 1d
eq "$(printf '%s\n' "$OUT" | tail -n +2 | wc -l)" 1 "all three filters combine"
expect 0 "audit --since 0s" -- rjh audit --since 0s
eq "$(printf '%s\n' "$OUT" | tail -n +2 | awk '{print $5}' | tr '\n' ' ')" "host-6 " "--since 0s: from now on, only the row dated tomorrow"
expect 0 "audit --host host-9 (never enrolled)" -- rjh audit --host host-9
eq "$(printf '%s\n' "$OUT" | wc -l)" 1 "the header only"
expect 0 "audit --json --host host-1 --user nobody" -- rjh audit --json --host host-1 --user nobody
jtrue "JSON: the connection's bytes as fields, its actor by name" \
	"[e['fields'] for e in d['events'] if e['type'] == 'USER_END'] == [{'addr': '198.51.100.7', 'bytes_to_host': '123', 'bytes_from_host': '456'}] and all(e['actor'] == 'nobody' and e['actor_uid'] == $nobody and e['actor_login'] == 'nobody' for e in d['events'])"
expect 0 "audit --json --host host-2" -- rjh audit --json --host host-2
jtrue "JSON: a refusal with its unquoted reason, null fingerprint" \
	"[(e['op'], e['result'], e['fields']['reason'], e['fingerprint']) for e in d['events'] if e['type'] == 'USER_ACCT'] == [('rjh-connect', 'failed', 'not-granted', None)]"
expect 0 "audit --json" -- rjh audit --json
jtrue "JSON: every event, with every key" \
	"len(d['events']) == $total and all(set(e) == {'time','type','op','result','host','actor_uid','actor','actor_auid','actor_login','fingerprint','detail','fields'} for e in d['events'])"
jtrue "JSON: socket= without its quotes" \
	"[e['fields'].get('socket') for e in d['events'] if e['op'] == 'rjh-tunnel'] == ['/run/rjh/hosts/host-1/sock/ssh.sock', '/run/rjh/hosts/host-1/sock/ssh.sock', None]"

# Exact lines for rows at fixed times, one with control characters and an unknown uid.
q "INSERT INTO events(time, type, op, actor_uid, actor_auid, host, fingerprint, result, detail) VALUES
	(1767225605, 'USER_START', 'rjh-tunnel', 0, NULL, 'host-8', 'SHA256:AAAA', 'success', 'addr=10.0.0.5'),
	(1767225606, 'USER_ACCT', 'rjh-connect', 4000000, 4000001, 'host-8', NULL, 'failed', 'reason=x' || char(10) || 'FAKE' || char(27) || 'line');"
expect 0 "audit --host host-8" -- rjh audit --host host-8
want=$(printf '%-20s %-10s %-16s %-7s %-20s %-16s %-50s %s\n' TIME TYPE OP RESULT HOST ACTOR FINGERPRINT DETAIL \
	2026-01-01T00:00:05Z USER_START rjh-tunnel success host-8 root SHA256:AAAA addr=10.0.0.5 \
	2026-01-01T00:00:06Z USER_ACCT rjh-connect failed host-8 '4000000(auid=4000001)' - 'reason=x?FAKE?line')
eq "$OUT" "$want" "exact lines; control characters printed as '?', unknown uids as numbers"
q "INSERT INTO events(time, type, op, actor_uid, host, result, detail) VALUES
	(1767225607, 'USER_END', 'rjh-tunnel', 0, 'host-8', 'success', 'addr=10.0.0.5 junk =x socket=\"/a b\" n=')"
expect 0 "audit --json --host host-8" -- rjh audit --json --host host-8 --since 2026-01-01T00:00:07Z
jtrue "JSON fields: a quoted value keeps its space, tokens without a key are left out" \
	"d['events'][0]['fields'] == {'addr': '10.0.0.5', 'socket': '/a b', 'n': ''} and d['events'][0]['actor_auid'] is None and d['events'][0]['actor_login'] is None"
expect 0 "audit --since 2026-01-01 (the start of that day)" -- rjh audit --host host-8 --since 2026-01-01
eq "$(printf '%s\n' "$OUT" | tail -n +2 | wc -l)" 3 "every row of 2026-01-01"
expect 0 "audit --since 2026-01-01T00:00:06Z" -- rjh audit --host host-8 --since 2026-01-01T00:00:06Z
eq "$(printf '%s\n' "$OUT" | tail -n +2 | wc -l)" 2 "from 00:00:06 on"
expect 0 "audit --since 2026-01-01T00:01Z" -- rjh audit --host host-8 --since 2026-01-01T00:01Z
eq "$(printf '%s\n' "$OUT" | tail -n +2 | wc -l)" 0 "none from 00:01 on"
expect 0 "audit --since 2026-01-02" -- rjh audit --host host-8 --since 2026-01-02
eq "$(printf '%s\n' "$OUT" | tail -n +2 | wc -l)" 0 "none from the next day on"

for bad in yesterday 7x 1h2 h 10 -1d '1 h' 2026-13-01 2026-02-30 2026-01-01T25:00Z 2026-01-01T00:00 \
	1234567890d ''; do
	refuse 2 "--since '$bad'" "--since: invalid time" -- rjh audit --since "$bad"
done
refuse 2 "--user with a space" "neither a user name nor a uid" -- rjh audit --user 'a b'
refuse 3 "--user that does not exist" "no user no-such-user-x" -- rjh audit --user no-such-user-x
refuse 2 "--host that cannot be a host" "--host: " -- rjh audit --host ../x
expect 1 "audit takes no argument" -- rjh audit host-1

# The events_time index exists, and a filtered query does not scan 200,000 rows.
eq "$(q "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name IN ('events_time', 'events_host')")" 2 \
	"events are indexed by time and by (host, time)"
q "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200000)
	INSERT INTO events(time, type, op, actor_uid, host, result, detail)
	SELECT $now - 2000000 + i, 'USER_START', 'rjh-connect', 1000, 'bulk-' || (i % 1000), 'success', 'addr=10.0.0.1' FROM n"
# best_ms COMMAND...: the fastest of three runs, in ms (the machine may be busy).
best_ms() {
	local best= i t0 t
	for i in 1 2 3; do
		t0=$(date +%s%N)
		"$@" > /dev/null 2>&1
		t=$((($(date +%s%N) - t0) / 1000000))
		[ -z "$best" ] || [ "$t" -lt "$best" ] && best=$t
	done
	echo "$best"
}
expect 0 "audit --host host-1 --since 1h among 200,000 events" -- rjh audit --host host-1 --since 1h
eq "$(printf '%s\n' "$OUT" | tail -n +2 | awk '{print $3}' | tr '\n' ' ')" "rjh-enroll rjh-set-host-key " "host-1's changes of this test only"
expect 0 "audit --since 0s among 200,000 events" -- rjh audit --since 0s
eq "$(printf '%s\n' "$OUT" | tail -n +2 | awk '{print $5}')" host-6 "still only tomorrow's row"
by_host=$(best_ms rjh audit --host host-1 --since 1h)
by_time=$(best_ms rjh audit --since 0s)
scan=$(best_ms rjh audit --user 4242)
[ "$by_host" -lt "$scan" ] && [ "$by_time" -lt "$scan" ] &&
	ok "indexed queries beat a scan of every event (host ${by_host} ms, time ${by_time} ms, scan ${scan} ms)" ||
	not_ok "indexed queries are not faster than a scan: host ${by_host} ms, time ${by_time} ms, scan ${scan} ms"

echo "# removal and upgrade"
expect 0 "remove host-1" -- rjh remove host-1
eq "$(q "SELECT count(*) FROM host_keys hk WHERE NOT EXISTS (SELECT 1 FROM hosts h WHERE h.id = hk.host_id)")" 0 \
	"its host keys went with it"
expect 0 "audit --host host-1 after remove" -- rjh audit --host host-1
has -o "rjh-remove" "its history stays, with the removal"
eq "$(q 'PRAGMA user_version')" "$(ls "$TOP"/sql/[0-9][0-9][0-9]-*.sql | wc -l)" \
	"the registry is at the newest schema"
finish
