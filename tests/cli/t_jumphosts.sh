# Several jumphosts on one PostgreSQL registry (tests/pg.sh), through
# rjh-admin and rjh-sync: jumphosts registered and listed, an OpenSSH host
# CA made and recorded, jumphost certificates issued (checked with
# ssh-keygen -L), host-unit's template and client-config's failover hop
# built from the registry, and fleet-wide presence: rjh-sync reports the
# tunnels this jumphost's kernel has listening, status shows them, and a
# silent jumphost's rows expire. Hostile input changes nothing.
# The real sshd, hosts and clients across three jumphosts are in
# tests/cluster/t_jumphosts.sh.
. "$(dirname "$0")/private-mounts.sh"
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/pg.sh"
SYNC="$TOP/build/rjh-sync"
LISTENER=
trap '[ -n "$LISTENER" ] && kill $LISTENER 2> /dev/null; pg_stop; while umount "$WORK/run" 2> /dev/null; do :; done; while umount /etc/ssh/sshd_config 2> /dev/null; do :; done; rm -rf "$WORK"' EXIT

fleet() { pg_sql "select name || ' ' || address || ' ' || port from jumphosts order by name" | tr '\n' ' '; }
unchanged() { # unchanged DESC BEFORE: the jumphosts table as before
	eq "$(fleet)" "$2" "$1: the jumphosts are as before"
}

# ---- a single-node registry has no jumphosts
write_conf
expect 0 "init a single-node registry" -- rjh init
expect 2 "jumphost add needs store = postgresql" -- rjh jumphost add jh1 10.0.0.1
match "several jumphosts need store = postgresql" "and says so"
expect 2 "host-ca init needs store = postgresql" -- rjh host-ca init
rm -rf "$WORK/reg" "$WORK/run"

if ! pg_start "$WORK/pg"; then
	not_ok "a PostgreSQL of the test's own"
	finish
	exit 1
fi
CONNINFO=$(pg_conninfo)
mkdir -p "$WORK/ca"
chmod 700 "$WORK/ca"
write_conf "store = postgresql" "conninfo = $CONNINFO" "node_name = jh1" \
	"host_ca_key = $WORK/ca/host_ca" "presence_ttl = 30s"
expect 0 "init in PostgreSQL" -- rjh init
PGV=$(find "$TOP/sql/pg" -name '[0-9][0-9][0-9]-*.sql' | wc -l)
eq "$(pg_sql "select value from settings where name = 'schema'")" "$PGV" "PostgreSQL schema $PGV (sql/pg/)"

# ---- jumphost add, list, remove
expect 0 "jumphost add jh1" -- rjh jumphost add jh1 10.0.0.1
match -o "jumphost jh1 added: hosts and clients dial 10.0.0.1 port 22" "add says what hosts dial"
expect 0 "jumphost add jh2 with a port" -- rjh jumphost add jh2 jh2.example.com --port 2222
expect 0 "jumphost add jh3 (the address in capitals)" -- rjh jumphost add jh3 JH3.Example.COM
before=$(fleet)
eq "$before" "jh1 10.0.0.1 22 jh2 jh2.example.com 2222 jh3 jh3.example.com 22 " \
	"three jumphosts in PostgreSQL, addresses in one spelling"
expect 0 "jumphost list" -- rjh jumphost list
match -o "^jh2 +jh2.example.com +2222 +down " "jh2 listed, down (no heartbeat yet)"
expect 0 "jumphost list --json" -- rjh jumphost list --json
eq "$(jq -r '.jumphosts | map(.name + "=" + .state) | join(",")' <<< "$OUT")" \
	"jh1=down,jh2=down,jh3=down" "the JSON names each with its state"
expect 3 "a name taken is refused" -- rjh jumphost add jh1 10.0.0.9
match "jumphost jh1 is registered already" "and says so"
unchanged "a taken name" "$before"
for bad in "../x|10.0.0.1|jumphost name" "-oProxyCommand=x|10.0.0.1|jumphost name" \
	"jh9|-oProxyCommand=touch_x|address" "jh9|a b|address" "jh9|10.0.0.1'x|address" \
	"jh9|a..b|address" "jh9|a%h|address"; do
	IFS='|' read -r n addr what <<< "$bad"
	expect 2 "jumphost add refuses a hostile $what ($n $addr)" -- rjh jumphost add -- "$n" "$addr"
	match "$what '" "naming the $what"
done
expect 2 "jumphost add refuses an address with a newline" -- rjh jumphost add jh9 "$(printf 'a\nb')"
expect 1 "an option-like name without -- is a usage error" -- rjh jumphost add -oProxyCommand=x 10.0.0.1
for p in 0 65536 22x -1 022; do
	expect 2 "jumphost add refuses --port $p" -- rjh jumphost add jh9 10.0.0.9 --port "$p"
done
unchanged "hostile input" "$before"
expect 3 "removing an unknown jumphost" -- rjh jumphost remove jh9
match "no jumphost jh9" "says which"
expect 0 "jumphost remove jh3" -- rjh jumphost remove jh3
eq "$(fleet)" "jh1 10.0.0.1 22 jh2 jh2.example.com 2222 " "jh3 is gone"
expect 0 "the changes are in the fleet's audit trail" -- rjh audit
match -o "rjh-jumphost-add" "adds audited"
match -o "rjh-jumphost-remove" "the remove audited"
match -o "rjh-jumphost-add .*jumphost=jh1 jumphost_name=jh2 address=jh2.example.com port=2222" \
	"each event names the jumphost rjh-admin ran on"
eq "$(pg_sql "select count(*) from events where jumphost is distinct from 'jh1'")" 0 \
	"every row of PostgreSQL's events has it"

# ---- the host CA
expect 3 "host-ca known-hosts before init" -- rjh host-ca known-hosts
match "no host CA \(rjh-admin host-ca init\)" "says to init"
expect 0 "host-ca init" -- rjh host-ca init
eq "$(stat -c %U:%a "$WORK/ca/host_ca")" "root:600" "the CA's private key is root's, 0600"
ca_pub=$(cut -d' ' -f1,2 "$WORK/ca/host_ca.pub")
eq "$(pg_sql "select value from settings where name = 'host_ca'")" "$ca_pub" \
	"PostgreSQL records its public key"
ls -a "$WORK/ca" > "$WORK/ca.ls"
eq "$(tr '\n' ' ' < "$WORK/ca.ls")" ". .. host_ca host_ca.pub " "no temporary file is left"
expect 0 "host-ca known-hosts" -- rjh host-ca known-hosts
eq "$OUT" "@cert-authority * $ca_pub rjh-host-ca" "one @cert-authority line"
sum=$(md5sum "$WORK/ca/host_ca")
expect 3 "a second init is refused" -- rjh host-ca init
match "exists already" "the key file exists"
mv "$WORK/ca/host_ca" "$WORK/ca/k" && mv "$WORK/ca/host_ca.pub" "$WORK/ca/k.pub"
expect 3 "a second CA for the fleet is refused" -- rjh host-ca init
match "the fleet has a host CA already" "the registry has one"
ls "$WORK/ca" | tr '\n' ' ' > "$WORK/ca.ls"
eq "$(cat "$WORK/ca.ls")" "k k.pub " "the refused init left no key behind"
mv "$WORK/ca/k" "$WORK/ca/host_ca" && mv "$WORK/ca/k.pub" "$WORK/ca/host_ca.pub"
eq "$(md5sum "$WORK/ca/host_ca")" "$sum" "the CA key is unchanged"

# ---- signing a jumphost's host key
ssh-keygen -q -N '' -t ed25519 -f "$WORK/jh1_host_key"
expect 0 "host-ca sign jh1" -- rjh host-ca sign jh1 "$WORK/jh1_host_key.pub"
printf '%s\n' "$OUT" > "$WORK/jh1_host_key-cert.pub"
ssh-keygen -L -f "$WORK/jh1_host_key-cert.pub" > "$WORK/cert.txt" 2>&1
match -F -o "ssh-ed25519-cert-v01@openssh.com" "a certificate"
grep -q "Type: ssh-ed25519-cert-v01@openssh.com host certificate" "$WORK/cert.txt" &&
	ok "a host certificate" || not_ok "a host certificate: $(cat "$WORK/cert.txt")"
grep -q 'Key ID: "rjh-jumphost jh1"' "$WORK/cert.txt" && ok "key id names the jumphost" ||
	not_ok "key id"
eq "$(sed -n '/Principals:/,/Critical/p' "$WORK/cert.txt" | sed -n 's/^ *//; 2,3p' | tr '\n' ' ')" \
	"10.0.0.1 jh1 " "principals: its address and name"
grep -q "Serial: 1$" "$WORK/cert.txt" && ok "serial 1" || not_ok "serial 1"
grep -q "Signing CA: ED25519 $(ssh-keygen -lf "$WORK/ca/host_ca.pub" | cut -d' ' -f2)" \
	"$WORK/cert.txt" && ok "signed by the fleet's CA" || not_ok "signed by the fleet's CA"
# ssh itself accepts it for the address, through the one @cert-authority line.
echo "@cert-authority * $ca_pub" > "$WORK/kh"
ssh-keygen -q -N '' -t ed25519 -f "$WORK/other_key"
serial=$(pg_sql "select value from settings where name = 'host_ca_serial'")
eq "$serial" 1 "the registry counts the serial"
for bad in "$WORK/jh1_host_key|a private key" "$WORK/jh1_host_key-cert.pub|a certificate"; do
	f=${bad%%|*}
	expect 2 "sign refuses ${bad#*|}" -- rjh host-ca sign jh1 "$f"
done
cat "$WORK/jh1_host_key.pub" "$WORK/other_key.pub" > "$WORK/two.pub"
expect 2 "sign refuses two keys in one file" -- rjh host-ca sign jh1 "$WORK/two.pub"
expect 3 "sign refuses an unknown jumphost" -- rjh host-ca sign jh7 "$WORK/other_key.pub"
match "no jumphost jh7" "says which"
expect 2 "sign refuses a hostile name" -- rjh host-ca sign "../jh1" "$WORK/other_key.pub"
expect 2 "sign refuses --validity 0" -- rjh host-ca sign jh1 "$WORK/other_key.pub" --validity 0
cp "$WORK/ca/host_ca" "$WORK/ca.keep"
cp "$WORK/other_key" "$WORK/ca/host_ca"
expect 2 "sign refuses a CA key that is not the fleet's" -- rjh host-ca sign jh1 "$WORK/other_key.pub"
match "is not the private key of the fleet's host CA" "and says so"
cp "$WORK/ca.keep" "$WORK/ca/host_ca"
eq "$(pg_sql "select value from settings where name = 'host_ca_serial'")" 1 \
	"no refused sign used a serial"
expect 0 "host-ca sign jh2 --validity 30d" -- rjh host-ca sign jh2 "$WORK/other_key.pub" --validity 30d
printf '%s\n' "$OUT" | ssh-keygen -L -f - > "$WORK/cert2.txt" 2>&1
grep -q "Serial: 2$" "$WORK/cert2.txt" && ok "the next certificate has serial 2" || not_ok "serial 2"
expect 0 "signing is audited" -- rjh audit
match -o "rjh-host-ca-sign" "in the fleet's audit trail"
match -o "serial=2" "with the serial"
pids=()
for i in 1 2 3 4; do
	rjh host-ca sign jh1 "$WORK/other_key.pub" > "$WORK/par$i.pub" 2>&1 &
	pids+=($!)
done
wait "${pids[@]}"
for i in 1 2 3 4; do ssh-keygen -L -f "$WORK/par$i.pub" | sed -n 's/^ *Serial: //p'; done | sort -n > "$WORK/serials"
eq "$(tr '\n' ' ' < "$WORK/serials")" "3 4 5 6 " "four signs at once get four serials"
eq "$(pg_sql "select value from settings where name = 'host_ca_serial'")" 6 "and the registry counts them all"

# ---- host-unit: one template, an instance per jumphost
expect 0 "enroll host-1" -- rjh enroll host-1 "$(newkey host-1)"
match -o "keep one tunnel up to each of the 2 jumphosts" "enroll names the jumphosts"
match -o -F " -R /sock/ssh.sock:localhost:22 ssh://host-1@10.0.0.1" "a tunnel to jh1"
match -o -F " -R /sock/ssh.sock:localhost:22 ssh://host-1@jh2.example.com:2222" "and to jh2, with its port"
expect 0 "host-unit host-1" -- rjh host-unit host-1
match -o -F "ExecStart=/usr/bin/ssh -N" "a tunnel command"
match -o -F " ssh://host-1@%I" "to each instance's jumphost"
match -o -F "systemctl enable --now 'rjh-tunnel@10.0.0.1.service'" "an instance for jh1"
match -o -F "systemctl enable --now 'rjh-tunnel@jh2.example.com:2222.service'" "and one for jh2, with its port"
match -o -F "UserKnownHostsFile=/etc/rjh/jumphost_known_hosts" "pinning the known_hosts file"
printf '%s\n' "$OUT" > "$WORK/rjh-tunnel@.service"
if command -v systemd-analyze > /dev/null; then
	cp "$WORK/rjh-tunnel@.service" "$WORK/rjh-tunnel@10.0.0.1.service"
	if systemd-analyze verify "$WORK/rjh-tunnel@10.0.0.1.service" > "$WORK/verify.out" 2>&1; then
		ok "systemd-analyze verify accepts the unit"
	else
		not_ok "systemd-analyze verify: $(head -3 "$WORK/verify.out")"
	fi
fi
expect 0 "a jumphost with a '-' in its address" -- rjh jumphost add jh4 jh-4.example.com
expect 0 "host-unit host-1" -- rjh host-unit host-1
inst=$(sed -n "s/^#   systemctl enable --now 'rjh-tunnel@\(.*\)\.service'$/\1/p" <<< "$OUT" | tail -1)
eq "$inst" 'jh\x2d4.example.com' "its instance name is escaped as systemd-escape does"
eq "$(systemd-escape -u "$inst")" "jh-4.example.com" "so that %I gives the address back"
expect 0 "jumphost remove jh4" -- rjh jumphost remove jh4
expect 0 "host-unit --known-hosts" -- rjh host-unit host-1 --known-hosts
eq "$OUT" "@cert-authority * $ca_pub rjh-host-ca" "the one line hosts pin"
expect 0 "host-unit --server keeps the single-jumphost unit" -- rjh host-unit host-1 --server j.example
match -o -F "host-1@j.example" "to that server"

# ---- client-config: the hop tries each jumphost
expect 0 "client-config" -- rjh client-config --pattern 'host-*'
hop=$(grep ProxyCommand <<< "$OUT")
match -o -F 'RJH_JUMPHOSTS:-10.0.0.1 ssh://jh2.example.com:2222}' "the jumphosts, in order"
match -o -F "-o UserKnownHostsFile=~/.ssh/known_hosts.rjh-jumphosts -o StrictHostKeyChecking=yes" \
	"the hop pins the CA file, strictly"
match -o -F "rjh-hop '%h'" "the host name quoted"
script=$(sed -n "s/^.*sh -c '\([^']*\)' rjh-hop.*/\1/p" <<< "$hop")
sh -n -c "$script" && ok "the hop is valid sh" || not_ok "the hop is valid sh: $script"
expect 0 "client-config --prefer jh2" -- rjh client-config --pattern 'host-*' --prefer jh2
match -o -F 'RJH_JUMPHOSTS:-ssh://jh2.example.com:2222 10.0.0.1}' "jh2 first"
expect 2 "--prefer an unknown jumphost" -- rjh client-config --pattern 'host-*' --prefer jh7
match "jh7' is not a registered jumphost" "says which"
expect 1 "--prefer with --server" -- rjh client-config --pattern 'host-*' --prefer jh1 --server x
expect 0 "client-config --server keeps one hop" -- rjh client-config --pattern 'host-*' --server j.example
match -o -F "ProxyCommand ssh -a -x -T j.example rjh-connect '%h'" "through that server"

# ---- fleet-wide presence
expect 0 "rjh-sync --once builds the cache and reports" -- "$SYNC" -c "$WORK/rjh.conf" --once
expect 0 "rjh runtime makes the runtime tree" -- rjh runtime
eq "$(pg_sql "select count(*) from heartbeats where jumphost = 'jh1'")" 1 "jh1's heartbeat"
eq "$(pg_sql "select count(*) from presence")" 0 "no tunnel held yet"
expect 0 "jumphost list" -- rjh jumphost list
match -o "^jh1 +10.0.0.1 +22 +up " "jh1 is up"
# The tunnels of host-1 and of a host named null (which PostgreSQL must not
# read as NULL), as sshd would bind them: listening sockets in their directories.
expect 0 "enroll a host named null" -- rjh enroll null "$(newkey null)"
expect 0 "rjh-sync --once" -- "$SYNC" -c "$WORK/rjh.conf" --once
expect 0 "rjh runtime makes null's directories" -- rjh runtime
listen() {
	python3 -c 'import socket,sys,time
s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(1); time.sleep(600)' "$1" &
	for _ in $(seq 50); do [ -S "$1" ] && break; sleep 0.1; done
}
sock="$WORK/run/hosts/host-1/sock/ssh.sock"
listen "$sock"
LISTENER=$!
listen "$WORK/run/hosts/null/sock/ssh.sock"
LISTENER="$LISTENER $!"
expect 0 "rjh-sync --once reports them" -- "$SYNC" -c "$WORK/rjh.conf" --once
eq "$(pg_sql "select jumphost || ':' || host from presence order by host" | tr '\n' ' ')" "jh1:host-1 jh1:null " \
	"presence: jh1 holds host-1 and null"
eq "$(pg_sql "select count(*) from heartbeats where jumphost = 'jh1' and seen > extract(epoch from now()) - 5")" 1 \
	"and its heartbeat went with them"
pg_sql "INSERT INTO heartbeats VALUES ('jh2', extract(epoch from now())::bigint, 1);
	INSERT INTO presence VALUES ('jh2', 'host-1', 1)" > /dev/null
expect 0 "status --json" -- rjh status --json host-1
eq "$(jq -r '.hosts[0].jumphosts | join(",")' <<< "$OUT")" "jh1,jh2" "host-1 is held by jh1 and jh2"
eq "$(jq -r '.hosts[0].state' <<< "$OUT")" "up" "and up"
expect 0 "status" -- rjh status
match -o "^host-1 +up .* jh1,jh2$" "the text names both"
pg_sql "UPDATE heartbeats SET seen = seen - 31 WHERE jumphost = 'jh2'" > /dev/null
expect 0 "status after jh2's heartbeat is older than presence_ttl" -- rjh status --json host-1
eq "$(jq -r '.hosts[0].jumphosts | join(",")' <<< "$OUT")" "jh1" "jh2's rows expired"
expect 0 "jumphost list" -- rjh jumphost list
match -o "^jh2 +jh2.example.com +2222 +down " "jh2 is down"
kill ${LISTENER%% *} 2> /dev/null
wait ${LISTENER%% *} 2> /dev/null
expect 0 "status: this jumphost's kernel has the last word" -- rjh status --json host-1
eq "$(jq -r '.hosts[0].jumphosts | length' <<< "$OUT")" 0 "host-1 is held nowhere"
eq "$(jq -r '.hosts[0].state' <<< "$OUT")" "down" "and down"
expect 0 "rjh-sync --once reports the change" -- "$SYNC" -c "$WORK/rjh.conf" --once
eq "$(pg_sql "select host from presence where jumphost = 'jh1'")" "null" "jh1's row for host-1 is gone"
eq "$(pg_sql "select count(*) from presence where jumphost = 'jh2'")" 1 "another jumphost's row is not jh1's to remove"
expect 0 "jumphost remove jh2 forgets its presence" -- rjh jumphost remove jh2
eq "$(pg_sql "select count(*) from presence where jumphost = 'jh2'")" 0 "its rows are gone"
pg_sql "INSERT INTO heartbeats VALUES ('jh2', extract(epoch from now())::bigint, 1)
	ON CONFLICT (jumphost) DO UPDATE SET seen = excluded.seen;
	INSERT INTO presence VALUES ('jh2', 'null', 1)" > /dev/null
expect 0 "status after a removed jumphost reported again" -- rjh status --json null
eq "$(jq -r '.hosts[0].jumphosts | join(",")' <<< "$OUT")" "jh1" "a jumphost no longer registered counts for none"
kill $LISTENER 2> /dev/null
wait $LISTENER 2> /dev/null
LISTENER=

# ---- doctor's store line: this jumphost registered, reporting, and its host certificate
write_conf "store = postgresql" "conninfo = $CONNINFO" "node_name = jh1" \
	"host_ca_key = $WORK/ca/host_ca" "presence_ttl = 60s"
store_line() {
	"$SYNC" -c "$WORK/rjh.conf" --once > /dev/null 2>&1
	"$ADMIN" -c "$WORK/rjh.conf" doctor --json 2> /dev/null |
		jq -r '.[] | select(.check == "store") | .level + " " + .detail'
}
# sshd -T as doctor runs it: this test's sshd_config, in its own mount
# namespace, with a /run of its own for sshd's privilege separation directory.
mount -t tmpfs rjh-jumphosts-run /run && mkdir -m 0755 /run/sshd || not_ok "a private /run"
sshd_conf() {
	printf '%s\n' "HostKey $WORK/jh1_host_key" "$@" > "$WORK/sshd_config"
	mount --bind "$WORK/sshd_config" /etc/ssh/sshd_config
}
sshd_conf "HostCertificate $WORK/jh1_host_key-cert.pub"
line=$(store_line)
case $line in
"ok "*"jumphost jh1 at 10.0.0.1:22 of 1 registered, 1 up, host certificate checked") ok "doctor: this jumphost is registered, up, and its host certificate is the fleet's" ;;
*) not_ok "doctor's store line: $line" ;;
esac
rjh host-ca sign jh1 "$WORK/jh1_host_key.pub" --validity 2d > "$WORK/short-cert.pub"
sshd_conf "HostCertificate $WORK/short-cert.pub"
line=$(store_line)
case $line in "warn "*"expires within 30 days"*) ok "doctor warns of a host certificate that expires soon" ;;
*) not_ok "a certificate valid 2 days: $line" ;; esac
ssh-keygen -q -s "$WORK/other_key" -h -I x -n 10.0.0.1,jh1 -V -5m:+30d -f "$WORK/jh1_host_key.pub" \
	-O clear 2> /dev/null
ssh-keygen -q -s "$WORK/other_key" -h -I x -n 10.0.0.1,jh1 -V -5m:+60d "$WORK/jh1_host_key.pub" 2> /dev/null
sshd_conf "HostCertificate $WORK/jh1_host_key-cert.pub"
line=$(store_line)
case $line in "FAIL "*"is not signed by the fleet's host CA"*) ok "doctor fails a host certificate of another CA" ;;
*) not_ok "another CA's certificate: $line" ;; esac
rjh host-ca sign jh2 "$WORK/jh1_host_key.pub" > /dev/null 2>&1 # jh2 is gone: refused
pg_sql "INSERT INTO jumphosts VALUES ('jh2', 'jh2.example.com', 22, 1)" > /dev/null
rjh host-ca sign jh2 "$WORK/jh1_host_key.pub" > "$WORK/jh1_host_key-cert.pub"
line=$(store_line)
case $line in "FAIL "*"does not name 10.0.0.1"*) ok "doctor fails a host certificate for another address" ;;
*) not_ok "jh2's certificate on jh1: $line" ;; esac
sshd_conf
line=$(store_line)
case $line in "FAIL "*"sshd presents no host certificate"*) ok "doctor fails a jumphost without a host certificate" ;;
*) not_ok "no HostCertificate: $line" ;; esac
write_conf "store = postgresql" "conninfo = $CONNINFO" "node_name = jh5"
line=$(store_line)
case $line in "warn "*"not this one (node_name jh5)"*) ok "doctor warns when this jumphost is not registered" ;;
*) not_ok "an unregistered jumphost: $line" ;; esac

finish
