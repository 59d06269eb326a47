#!/usr/bin/env bash
# The securep2p network lab: network namespaces, NAT routers and a coturn STUN/TURN server, all on this
# machine. Traffic never leaves the namespaces this script creates; the "internet" is the public namespace,
# which routes between point-to-point links to A's side (TEST-NET-3, 203.0.113.0/24) and B's side
# (TEST-NET-2, 198.51.100.0/24) and runs coturn; the LANs are 192.168.1/24 and 192.168.2/24. The lan topology
# also runs IPv6 (documentation prefix 2001:db8::/32): 2001:db8::1 and ::2 for coturn, 2001:db8:1::/64 the LAN.
# See README.md beside this file for the topologies. Not its job: impairments other than random loss
# (reordering and duplication are done in user space by the tests).
#
#   netlab.sh up <prefix> <topology>             build a lab, start coturn, wait until it answers; topology:
#                                                direct, eim, symmetric, fullcone, samenat or lan
#   netlab.sh env <prefix>                       KEY=VALUE lines describing the lab (for the Java harness)
#   netlab.sh loss <prefix> <ns> <percent>       drop that share of UDP packets entering or leaving <ns>
#   netlab.sh noloss <prefix> [<ns>]             remove the loss rules (of one namespace, or all)
#   netlab.sh down <prefix>                      kill every process in the lab, delete it; idempotent
#   netlab.sh list                               prefixes of the labs whose state this machine still has
#   netlab.sh reap                               down every lab whose owner process is gone (manual use)
#   netlab.sh isolate4 <prefix>                  samenat, lan: A and B drop IPv4 from each other (lan: only
#                                                IPv6 is left between them)
#   netlab.sh block-udp <prefix> a|b             drop every UDP datagram entering or leaving that peer; TCP
#                                                still passes (a network that blocks UDP)
#   netlab.sh unblock-udp <prefix> a|b           remove that block
#
# Must run as root. Needs ip (iproute2), iptables, turnserver (coturn), ss and sysctl (procps).
set -euo pipefail

readonly STATE_ROOT="${SP2P_LAB_STATE:-${TMPDIR:-/tmp}/securep2p-lab}"

# The "internet": the public namespace routes between /32 point-to-point links (no switch: every packet
# between two sides is routed there, so loss rules can see it). Its own addresses sit on its loopback.
readonly STUN1_IP=203.0.113.1      # coturn: STUN + TURN, and the relay address; next hop of every link
readonly STUN2_IP=203.0.113.2      # coturn again: the second STUN server for the NAT-mapping test
readonly PUBLIC_A=203.0.113.10     # peer A itself (direct) or A's router (eim, symmetric)
readonly PUBLIC_B=198.51.100.20    # peer B itself or B's router, in another documentation range
readonly LAN_A=192.168.1           # A's LAN: router .1, peer .10
readonly LAN_B=192.168.2
# samenat and lan: A and B on one LAN segment (a bridge in the router), A .10, B .11.
readonly LAN_SHARED_B=$LAN_A.11
# lan only: IPv6, routed without NAT (as dual-stack home networks do); coturn listens on two v6 addresses.
readonly STUN1_IP6=2001:db8::1
readonly STUN2_IP6=2001:db8::2
readonly LAN6=2001:db8:1      # the LAN's /64: router ::1, A ::10, B ::11
# Fixed link-local next hops on the uplink between pub and the router (the router's default route).
readonly UPLINK6_PUB=fe80::1
readonly UPLINK6_ROUTER=fe80::2
readonly STUN_PORT=3478
# coturn's alternate port: with two listening addresses it serves RFC 5780 (OTHER-ADDRESS, CHANGE-REQUEST) on
# 203.0.113.1/.2 x 3478/3479, which EndpointDiscovery uses to measure mapping and filtering.
readonly STUN_ALT_PORT=3479
readonly TURN_REALM=securep2p.test
readonly TURN_USER=peer
# coturn takes well under a second to listen; the bound is for a loaded 2-core CI machine.
readonly COTURN_WAIT_TENTHS=100
# down: how long processes get between SIGTERM and SIGKILL, and after SIGKILL to be gone (tenths of s).
readonly TERM_GRACE_TENTHS=10
readonly KILL_WAIT_TENTHS=30

die() { echo "netlab: $*" >&2; exit 2; }
# Exit code 3: the prefix is taken (by a lab that is not ours to touch); the caller picks another one.
readonly EXIT_PREFIX_TAKEN=3
die_taken() { echo "netlab: $*" >&2; exit "$EXIT_PREFIX_TAKEN"; }

usage() {
  sed -n '10,23p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

# A prefix becomes part of namespace and state-directory names; 8 characters at most, so that names built
# from it stay short (interface names, limited to 15, live inside the namespaces and never include it).
check_prefix() {
  [[ ${1:-} =~ ^[a-z][a-z0-9]{1,7}$ ]] || die "prefix must be 2-8 characters [a-z0-9] starting with a letter: '${1:-}'"
}

state_dir() { echo "$STATE_ROOT/$1"; }

# Every namespace a lab can own, whether or not it exists (down deletes those that do).
lab_namespaces() { echo "$1-a $1-b $1-ra $1-rb $1-pub"; }

# Not grep -q: under pipefail, a writer killed by SIGPIPE after an early match would turn "yes" into "no".
ns_exists() { ip netns list | awk '{print $1}' | grep -xF -- "$1" >/dev/null; }

nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# A fresh namespace: loopback up, no IPv6 (the lab is IPv4-only, and link-local v6 addresses would only add
# ICE candidates that lead nowhere), forwarding only where asked.
new_ns() {
  local ns=$1 forward=$2
  ip netns add "$ns"
  nsx "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 \
    net.ipv4.ip_forward="$forward"
  ip -n "$ns" link set lo up
}

# A host (or router WAN) linked to the internet: veth <ifname> in <ns> with <addr>/32, its other end <port>
# in the public namespace, which routes <addr> there; <ns> routes everything via the public namespace's
# address 203.0.113.1 (answered by ARP although it sits on pub's loopback). Created directly inside the
# namespaces, so nothing appears in the root namespace and parallel labs cannot collide on interface names.
# The link is remembered for loss: a namespace's outgoing datagrams are dropped where they arrive.
plug_into_internet() {
  local p=$1 ns=$2 ifname=$3 addr=$4 port=$5
  ip link add "$ifname" netns "$ns" type veth peer name "$port" netns "$p-pub"
  ip -n "$p-pub" link set "$port" up
  ip -n "$ns" addr add "$addr/32" dev "$ifname"
  ip -n "$ns" link set "$ifname" up
  ip -n "$ns" route add "$STUN1_IP" dev "$ifname"
  ip -n "$ns" route add default via "$STUN1_IP" dev "$ifname"
  ip -n "$p-pub" route add "$addr/32" dev "$port"
  echo "${ns#"$p-"} $p-pub $port" >>"$(state_dir "$p")/links"
  echo "pub $ns $ifname" >>"$(state_dir "$p")/links"
}

# The internet drops a datagram to an address nobody routes (a private address of some other LAN, which the
# default host.candidates=LAN puts into codes) somewhere far away, silently. Without this, pub itself would
# refuse it: ENETUNREACH for coturn relaying a check there, after which coturn drops the whole allocation, and
# an ICMP error for a peer. The silent drop: a default route via a gateway that exists only as a permanent
# neighbour entry on a veth pair whose other end, also in pub, discards frames not addressed to it.
readonly VOID_GW=192.0.0.8        # IPv4 dummy address (RFC 7600): never a real host
readonly VOID_GW6=fe80::5
readonly VOID_MAC=02:00:00:00:00:05
internet_swallows_strays() {
  local p=$1
  ip link add void netns "$p-pub" type veth peer name void-end netns "$p-pub"
  ip -n "$p-pub" link set void-end up
  ip -n "$p-pub" link set void up
  ip -n "$p-pub" route add "$VOID_GW/32" dev void
  ip -n "$p-pub" neigh add "$VOID_GW" lladdr "$VOID_MAC" dev void nud permanent
  ip -n "$p-pub" route add default via "$VOID_GW" dev void
  if ns_v6 "$p-pub"; then
    ip -n "$p-pub" neigh add "$VOID_GW6" lladdr "$VOID_MAC" dev void nud permanent
    ip -n "$p-pub" -6 route add default via "$VOID_GW6" dev void
  fi
}

ns_v6() { [ "$(nsx "$1" sysctl -n net.ipv6.conf.all.disable_ipv6)" = 0 ]; }

# A NAT router <r> with WAN address <wan> in front of one peer <host> on LAN <lan>.0/24.
# eim:       MASQUERADE keeps the source port whenever the resulting tuple is free, so one local port gets
#            the same public port towards every destination (endpoint-independent mapping).
# symmetric: MASQUERADE --random-fully picks a random port for every new conntrack entry, i.e. for every
#            destination (endpoint-dependent mapping): hole punching with STUN-learned ports fails.
# fullcone:  as eim, but every inbound UDP datagram is DNATed to the host on the same port, so anyone may
#            send to a mapping once it exists (endpoint-independent filtering, RFC 5780 4.4).
# The others filter like a home router: only replies (ESTABLISHED,RELATED) come in. New inbound packets are
# DROPped in filter/INPUT, never rejected and never accepted: a dropped packet's conntrack entry is never
# confirmed, so a peer's early punch cannot occupy the tuple and push our own later mapping to another port.
build_router() {
  local p=$1 r=$2 host=$3 wan=$4 lan=$5 port=$6 nat=$7
  new_ns "$r" 1
  new_ns "$host" 0
  plug_into_internet "$p" "$r" wan "$wan" "$port"
  ip link add lan netns "$r" type veth peer name eth0 netns "$host"
  ip -n "$r" addr add "$lan.1/24" dev lan
  ip -n "$r" link set lan up
  ip -n "$host" addr add "$lan.10/24" dev eth0
  ip -n "$host" link set eth0 up
  ip -n "$host" route add default via "$lan.1"
  echo "${host#"$p-"} $r lan" >>"$(state_dir "$p")/links"

  local masq=(-j MASQUERADE)
  [ "$nat" = symmetric ] && masq+=(--random-fully)
  nsx "$r" iptables -w -t nat -A POSTROUTING -o wan "${masq[@]}"
  nsx "$r" iptables -w -A FORWARD -i lan -o wan -j ACCEPT
  nsx "$r" iptables -w -A FORWARD -i wan -o lan -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
  if [ "$nat" = fullcone ]; then
    nsx "$r" iptables -w -t nat -A PREROUTING -i wan -p udp -j DNAT --to-destination "$lan.10"
    nsx "$r" iptables -w -A FORWARD -i wan -o lan -p udp -d "$lan.10" -m conntrack --ctstate DNAT -j ACCEPT
  fi
  nsx "$r" iptables -w -P FORWARD DROP
  nsx "$r" iptables -w -A INPUT -i lo -j ACCEPT
  nsx "$r" iptables -w -A INPUT -i lan -j ACCEPT
  nsx "$r" iptables -w -A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
  nsx "$r" iptables -w -P INPUT DROP
}

# Extra coturn options and the addresses it must listen on before up returns (IPv6 in the lan topology).
COTURN_EXTRA=()
COTURN_LISTEN=("$STUN1_IP:$STUN_PORT" "$STUN2_IP:$STUN_PORT" "$STUN1_IP:$STUN_ALT_PORT" "$STUN2_IP:$STUN_ALT_PORT")

# A namespace for the lan topology: like new_ns, with IPv6 on. Addresses must be usable at once and nothing
# may autoconfigure behind the test's back: no duplicate address detection (the lab owns every address), no
# router advertisements accepted, no router solicitations sent. Set on "default" before any interface exists.
new_ns6() {
  local ns=$1 forward=$2 scope
  ip netns add "$ns"
  for scope in all default; do
    nsx "$ns" sysctl -qw net.ipv6.conf.$scope.disable_ipv6=0 net.ipv6.conf.$scope.accept_dad=0 \
      net.ipv6.conf.$scope.dad_transmits=0 net.ipv6.conf.$scope.accept_ra=0 \
      net.ipv6.conf.$scope.router_solicitations=0 net.ipv6.conf.$scope.forwarding="$forward"
  done
  nsx "$ns" sysctl -qw net.ipv4.ip_forward="$forward"
  ip -n "$ns" link set lo up
}

# samenat and lan: one router <p>-ra (NAT like eim, and it does not hairpin) in front of ONE LAN segment that
# holds both peers: a bridge "lan" in the router, A 192.168.1.10 and B 192.168.1.11 on its ports. A datagram
# from A to the router's public address (B's server-reflexive candidate) is delivered to the router itself,
# which has no socket there: nothing translates it back into the LAN, so srflx candidates are useless between
# A and B and only their host candidates connect them. lan adds IPv6: 2001:db8:1::/64 on the LAN, routed
# without NAT to pub, with a stateful filter (only replies come in) as a home router has.
build_shared_lan() {
  local p=$1 topology=$2 r=$1-ra host mk=new_ns
  [ "$topology" = lan ] && mk=new_ns6
  $mk "$r" 1
  $mk "$p-a" 0
  $mk "$p-b" 0
  plug_into_internet "$p" "$r" wan "$PUBLIC_A" port-a
  # No multicast snooping (IPv6 neighbour discovery must not depend on MLD state), no forwarding delay.
  ip -n "$r" link add lan type bridge mcast_snooping 0 forward_delay 0 stp_state 0
  ip -n "$r" addr add "$LAN_A.1/24" dev lan
  ip -n "$r" link set lan up
  local role addr
  for role in a b; do
    host=$p-$role
    [ "$role" = a ] && addr=$LAN_A.10 || addr=$LAN_SHARED_B
    ip link add "lan-$role" netns "$r" type veth peer name eth0 netns "$host"
    ip -n "$r" link set "lan-$role" master lan
    ip -n "$r" link set "lan-$role" up
    ip -n "$host" addr add "$addr/24" dev eth0
    ip -n "$host" link set eth0 up
    ip -n "$host" route add default via "$LAN_A.1"
    # Not in "links": the router sees A's and B's datagrams on the one bridge, so loss for a or b here drops
    # only what enters that peer; loss for ra covers the uplink.
  done

  nsx "$r" iptables -w -t nat -A POSTROUTING -o wan -j MASQUERADE
  nsx "$r" iptables -w -A FORWARD -i lan -o wan -j ACCEPT
  # Bridged A<->B frames meet FORWARD too where br_netfilter is on: the LAN itself is never filtered.
  nsx "$r" iptables -w -A FORWARD -i lan -o lan -j ACCEPT
  nsx "$r" iptables -w -A FORWARD -i wan -o lan -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
  nsx "$r" iptables -w -P FORWARD DROP
  nsx "$r" iptables -w -A INPUT -i lo -j ACCEPT
  nsx "$r" iptables -w -A INPUT -i lan -j ACCEPT
  nsx "$r" iptables -w -A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
  nsx "$r" iptables -w -P INPUT DROP

  [ "$topology" = lan ] || return 0
  ip -n "$r" addr add "$LAN6::1/64" dev lan nodad
  ip -n "$p-pub" addr add "$UPLINK6_PUB/64" dev port-a nodad
  ip -n "$r" addr add "$UPLINK6_ROUTER/64" dev wan nodad
  ip -n "$r" -6 route add default via "$UPLINK6_PUB" dev wan
  ip -n "$p-pub" -6 route add "$LAN6::/64" via "$UPLINK6_ROUTER" dev port-a
  ip -n "$p-a" addr add "$LAN6::10/64" dev eth0 nodad
  ip -n "$p-b" addr add "$LAN6::11/64" dev eth0 nodad
  ip -n "$p-a" -6 route add default via "$LAN6::1" dev eth0
  ip -n "$p-b" -6 route add default via "$LAN6::1" dev eth0
  nsx "$r" ip6tables -w -A FORWARD -i lan -o wan -j ACCEPT
  nsx "$r" ip6tables -w -A FORWARD -i lan -o lan -j ACCEPT
  nsx "$r" ip6tables -w -A FORWARD -i wan -o lan -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
  nsx "$r" ip6tables -w -P FORWARD DROP
}

start_coturn() {
  local p=$1 dir=$2 password=$3
  # Relaying is restricted to the lab's own ranges (allowed beats denied in coturn): the two documentation
  # ranges of the internet side and the 192.168/16 LANs. coturn 4.6 refuses loopback and
  # (with --no-multicast-peers) multicast peers by itself; nothing else of ours falls in a default-denied range.
  # The user database and every file coturn writes live in the lab's state directory.
  setsid ip netns exec "$p-pub" turnserver -n \
    --listening-ip="$STUN1_IP" --listening-ip="$STUN2_IP" --listening-port="$STUN_PORT" \
    --alt-listening-port="$STUN_ALT_PORT" \
    --relay-ip="$STUN1_IP" --min-port=49152 --max-port=65535 --relay-threads=1 \
    --lt-cred-mech --user="$TURN_USER:$password" --realm="$TURN_REALM" --fingerprint \
    --no-tls --no-dtls --no-tcp --no-tcp-relay --no-cli --no-multicast-peers \
    --allowed-peer-ip=203.0.113.0-203.0.113.255 --allowed-peer-ip=198.51.100.0-198.51.100.255 \
    --allowed-peer-ip=192.168.0.0-192.168.255.255 --denied-peer-ip=0.0.0.0-255.255.255.255 \
    --userdb="$dir/turndb" --no-dynamic-ip-list --no-dynamic-realms \
    --log-file="$dir/turnserver.log" --simple-log --no-stdout-log --pidfile="$dir/turnserver.pid" \
    "${COTURN_EXTRA[@]}" </dev/null >"$dir/turnserver.out" 2>&1 &
  echo $! >"$dir/coturn.launch.pid"

  local i listening want all
  for ((i = 0; i < COTURN_WAIT_TENTHS; i++)); do
    listening=$(nsx "$p-pub" ss -Hlun 2>/dev/null || true)
    all=1
    for want in "${COTURN_LISTEN[@]}"; do
      grep -qF "$want" <<<"$listening" || all=0
    done
    if [ "$all" = 1 ]; then
      return 0
    fi
    if ! kill -0 "$(cat "$dir/coturn.launch.pid")" 2>/dev/null; then
      tail -n 20 "$dir/turnserver.log" "$dir/turnserver.out" >&2 2>/dev/null || true
      die "coturn exited during start-up"
    fi
    sleep 0.1
  done
  tail -n 20 "$dir/turnserver.log" >&2 2>/dev/null || true
  die "coturn did not listen on ${COTURN_LISTEN[*]} within $((COTURN_WAIT_TENTHS / 10)) s"
}

cmd_up() {
  [ $# -eq 2 ] || usage
  local p=$1 topology=$2
  check_prefix "$p"
  case "$topology" in
    direct | eim | symmetric | fullcone | samenat | lan) ;;
    *) die "unknown topology '$topology' (direct, eim, symmetric, fullcone, samenat, lan)" ;;
  esac
  [ "$(id -u)" -eq 0 ] || die "must run as root (network namespaces, iptables)"
  local ns
  for ns in $(lab_namespaces "$p"); do
    ns_exists "$ns" && die_taken "namespace $ns exists already; pick another prefix or run: $0 down $p"
  done
  local dir
  dir=$(state_dir "$p")
  [ -e "$dir" ] && die_taken "$dir exists already; pick another prefix or run: $0 down $p"
  mkdir -p "$STATE_ROOT"
  mkdir -m 700 "$dir" 2>/dev/null || die_taken "$dir exists already (a parallel up?)"
  echo "$topology" >"$dir/topology"
  echo "${NETLAB_OWNER_PID:-$PPID}" >"$dir/owner"

  # Anything that fails from here on (set -e, die, a signal) leaves a half-built lab: take it down again.
  UP_PREFIX=$p
  trap 'abort_up' EXIT
  trap 'exit 130' INT TERM

  if [ "$topology" = lan ]; then
    new_ns6 "$p-pub" 1
    ip -n "$p-pub" addr add "$STUN1_IP6/128" dev lo nodad
    ip -n "$p-pub" addr add "$STUN2_IP6/128" dev lo nodad
    COTURN_EXTRA=(--listening-ip="$STUN1_IP6" --listening-ip="$STUN2_IP6")
    COTURN_LISTEN+=("[$STUN1_IP6]:$STUN_PORT" "[$STUN2_IP6]:$STUN_PORT")
  else
    new_ns "$p-pub" 1
  fi
  ip -n "$p-pub" addr add "$STUN1_IP/32" dev lo
  ip -n "$p-pub" addr add "$STUN2_IP/32" dev lo
  internet_swallows_strays "$p"

  local addr_a addr_b public_b=$PUBLIC_B
  if [ "$topology" = samenat ] || [ "$topology" = lan ]; then
    build_shared_lan "$p" "$topology"
    addr_a=$LAN_A.10 addr_b=$LAN_SHARED_B public_b=$PUBLIC_A
  elif [ "$topology" = direct ]; then
    new_ns "$p-a" 0
    new_ns "$p-b" 0
    plug_into_internet "$p" "$p-a" eth0 "$PUBLIC_A" port-a
    plug_into_internet "$p" "$p-b" eth0 "$PUBLIC_B" port-b
    addr_a=$PUBLIC_A addr_b=$PUBLIC_B
  else
    build_router "$p" "$p-ra" "$p-a" "$PUBLIC_A" "$LAN_A" port-a "$topology"
    build_router "$p" "$p-rb" "$p-b" "$PUBLIC_B" "$LAN_B" port-b "$topology"
    addr_a=$LAN_A.10 addr_b=$LAN_B.10
  fi

  local password
  password=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
  start_coturn "$p" "$dir" "$password"

  local router_a="" router_b=""
  case "$topology" in
    eim | symmetric | fullcone) router_a=$p-ra router_b=$p-rb ;;
    samenat | lan) router_a=$p-ra ;; # one router for both; NS_ROUTER_B stays empty
  esac
  local v6=""
  if [ "$topology" = lan ]; then
    v6="ADDR6_A=$LAN6::10
ADDR6_B=$LAN6::11
STUN1_6=[$STUN1_IP6]:$STUN_PORT
STUN2_6=[$STUN2_IP6]:$STUN_PORT"
  fi
  cat >"$dir/env" <<EOF
PREFIX=$p
TOPOLOGY=$topology
NS_PUBLIC=$p-pub
NS_A=$p-a
NS_B=$p-b
NS_ROUTER_A=$router_a
NS_ROUTER_B=$router_b
ADDR_A=$addr_a
ADDR_B=$addr_b
PUBLIC_A=$PUBLIC_A
PUBLIC_B=$public_b
STUN1=$STUN1_IP:$STUN_PORT
STUN2=$STUN2_IP:$STUN_PORT
TURN=$STUN1_IP:$STUN_PORT
TURN_USER=$TURN_USER
TURN_PASSWORD=$password
TURN_REALM=$TURN_REALM
COTURN_PID=$(cat "$dir/coturn.launch.pid")
COTURN_LOG=$dir/turnserver.log
STATE_DIR=$dir
${v6}
EOF
  UP_PREFIX=""
  trap - EXIT INT TERM
  cat "$dir/env"
}

UP_PREFIX=""
abort_up() {
  local rc=$?
  if [ -n "$UP_PREFIX" ]; then
    echo "netlab: up $UP_PREFIX failed; tearing down what was built" >&2
    cmd_down "$UP_PREFIX" >/dev/null 2>&1 || true
  fi
  exit "$rc"
}

cmd_env() {
  [ $# -eq 1 ] || usage
  check_prefix "$1"
  local f
  f="$(state_dir "$1")/env"
  [ -f "$f" ] || die "no lab '$1' is up"
  cat "$f"
}


# Loss for namespace <ns> (role a, b, ra, rb or pub) lives in raw-table chains named LOSS_<ROLE>, jumped to
# from PREROUTING: in <ns> itself (whatever enters it, including everything a router forwards, both ways),
# and, for a host's own datagrams, in the namespace they arrive at next ("links" file). Dropping a locally
# sent datagram in <ns>'s own OUTPUT chain would not do: the kernel then fails the sender's sendmsg() with
# EPERM, which real loss never does. raw is before conntrack, so a lost datagram never touches a NAT mapping.
loss_chain() { echo "LOSS_$(tr '[:lower:]' '[:upper:]' <<<"$1")"; }

ensure_chain() {
  local ns=$1 chain=$2
  if ! nsx "$ns" iptables -w -t raw -L "$chain" -n >/dev/null 2>&1; then
    nsx "$ns" iptables -w -t raw -N "$chain"
    nsx "$ns" iptables -w -t raw -A PREROUTING -j "$chain"
  fi
}

# Every namespace holding rules for role <role>, with the match that selects its datagrams there.
loss_places() {
  local p=$1 role=$2 from ns iface
  echo "$p-$role -"
  case "$role" in ra | rb) return 0 ;; esac # a router only forwards: its own PREROUTING sees both ways
  while read -r from ns iface; do
    [ "$from" = "$role" ] || continue
    if [ "$role" = pub ]; then
      echo "$ns -i $iface -s $STUN1_IP,$STUN2_IP" # not what pub forwards: only what it sends itself
    else
      echo "$ns -i $iface"
    fi
  done <"$(state_dir "$p")/links"
}

set_loss() {
  local p=$1 role=$2 probability=$3 chain ns match
  chain=$(loss_chain "$role")
  while read -r ns match; do
    ns_exists "$ns" || continue
    ensure_chain "$ns" "$chain" </dev/null
    nsx "$ns" iptables -w -t raw -F "$chain" </dev/null
    [ "$probability" = 0 ] && continue
    [ "$match" = - ] && match=""
    # shellcheck disable=SC2086
    nsx "$ns" iptables -w -t raw -A "$chain" -p udp $match -m statistic --mode random \
      --probability "$probability" -j DROP </dev/null
  done < <(loss_places "$p" "$role")
}

# Accepts a full namespace name of this lab or its role (a, b, ra, rb, pub); prints the role.
resolve_role() {
  local p=$1 ns=$2 candidate
  [[ $ns == "$p-"* ]] || ns="$p-$ns"
  for candidate in $(lab_namespaces "$p"); do
    if [ "$candidate" = "$ns" ]; then
      ns_exists "$ns" || die "namespace $ns is not up"
      echo "${ns#"$p-"}"
      return 0
    fi
  done
  die "'$2' is not a namespace of lab $p"
}

cmd_loss() {
  [ $# -eq 3 ] || usage
  local p=$1 role percent=$3
  check_prefix "$p"
  [ -f "$(state_dir "$p")/links" ] || die "no lab '$p' is up"
  role=$(resolve_role "$p" "$2")
  [[ $percent =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "percent must be a number 0-100: '$percent'"
  local probability
  probability=$(awk -v x="$percent" 'BEGIN { if (x > 100) exit 1; if (x == 0) print 0; else printf "%.6f", x / 100 }') ||
    die "percent must be a number 0-100: '$percent'"
  set_loss "$p" "$role" "$probability"
}

cmd_noloss() {
  [ $# -ge 1 ] && [ $# -le 2 ] || usage
  local p=$1 ns
  check_prefix "$p"
  [ -f "$(state_dir "$p")/links" ] || return 0
  if [ $# -eq 2 ]; then
    set_loss "$p" "$(resolve_role "$p" "$2")" 0
    return 0
  fi
  for ns in $(lab_namespaces "$p"); do
    ns_exists "$ns" && set_loss "$p" "${ns#"$p-"}" 0
  done
  return 0
}

# The pids among the arguments that still run. A zombie counts as gone: coturn outlives this script, so its
# parent becomes the machine's pid 1, which may take its time to reap it.
alive_pids() {
  local pid state out=()
  for pid in "$@"; do
    [[ $pid =~ ^[0-9]+$ ]] || continue
    state=$(awk '{ sub(/^.*\) /, ""); print $1 }' "/proc/$pid/stat" 2>/dev/null || true)
    [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ] && out+=("$pid")
  done
  echo "${out[@]:-}"
}

# Never fails on missing pieces: a lab half built, half torn down or never built at all is fine.
cmd_down() {
  [ $# -eq 1 ] || usage
  local p=$1
  check_prefix "$p"
  local dir ns pids=() i
  dir=$(state_dir "$p")
  # coturn first by its pid (it may have left its namespace's pid list if the namespace is already gone).
  if [ -f "$dir/coturn.launch.pid" ]; then pids+=("$(cat "$dir/coturn.launch.pid")"); fi
  for ns in $(lab_namespaces "$p"); do
    ns_exists "$ns" || continue
    # shellcheck disable=SC2207
    pids+=($(ip netns pids "$ns" 2>/dev/null || true))
  done
  local left
  left=$(alive_pids "${pids[@]:-}")
  if [ -n "$left" ]; then
    # shellcheck disable=SC2086
    kill -TERM $left 2>/dev/null || true
    for ((i = 0; i < TERM_GRACE_TENTHS; i++)); do
      left=$(alive_pids $left)
      [ -z "$left" ] && break
      sleep 0.1
    done
    if [ -n "$left" ]; then
      # shellcheck disable=SC2086
      kill -KILL $left 2>/dev/null || true
      for ((i = 0; i < KILL_WAIT_TENTHS; i++)); do
        left=$(alive_pids $left)
        [ -z "$left" ] && break
        sleep 0.1
      done
    fi
  fi
  [ -z "$left" ] || echo "netlab: processes $left of lab $p did not exit" >&2
  for ns in $(lab_namespaces "$p"); do
    ns_exists "$ns" && { ip netns del "$ns" 2>/dev/null || echo "netlab: could not delete $ns" >&2; }
  done
  rm -rf -- "$dir"
  return 0
}

cmd_list() {
  [ -d "$STATE_ROOT" ] || return 0
  local d
  for d in "$STATE_ROOT"/*/; do
    [ -d "$d" ] && basename "$d"
  done
  return 0
}

cmd_reap() {
  local p owner
  for p in $(cmd_list); do
    owner=$(cat "$STATE_ROOT/$p/owner" 2>/dev/null || echo "")
    if [ -z "$owner" ] || ! kill -0 "$owner" 2>/dev/null; then
      echo "netlab: reaping lab $p (owner ${owner:-unknown} is gone)" >&2
      cmd_down "$p"
    fi
  done
}

# samenat, lan: A and B each drop IPv4 datagrams from the LAN's other hosts (INPUT, so that a send never
# fails with EPERM as an OUTPUT rule would make it), whatever their port. Replies from the internet come in
# through the router with their original source address and still pass. In lan only IPv6 is then left.
cmd_isolate4() {
  [ $# -eq 1 ] || usage
  local p=$1 topology role other
  check_prefix "$p"
  topology=$(cat "$(state_dir "$p")/topology" 2>/dev/null) || die "no lab '$p' is up"
  case "$topology" in samenat | lan) ;; *) die "isolate4 needs a samenat or lan lab, not $topology" ;; esac
  for role in a b; do
    [ "$role" = a ] && other=$LAN_SHARED_B || other=$LAN_A.10
    nsx "$p-$role" iptables -w -A INPUT -s "$other" -j DROP
  done
}

# A network that blocks UDP, for one peer: every UDP datagram entering or leaving it is dropped, whatever its
# address or port (so also STUN and TURN: ICE has nothing left), while TCP passes (a relay over wss still
# works). The rules live in raw-table chains BLOCKUDP_<ROLE> jumped to from PREROUTING, in the same places as
# loss (loss_places): in the peer itself for what enters it, and where its own datagrams arrive next (the
# router's LAN side or pub's port), never in its OUTPUT chain, whose DROP would fail the sender's sendmsg()
# with EPERM where a blocking network is silent. In samenat and lan the peers share a bridge, which iptables
# does not see: A's datagrams are dropped where they enter B and where they enter the router from the bridge
# (by source address; IPv4 only, so lan is refused). raw is before conntrack: a blocked datagram makes no
# NAT mapping. Separate chains from loss, so noloss never lifts a block.
block_places() {
  local p=$1 role=$2 topology other_role addr
  topology=$(cat "$(state_dir "$p")/topology")
  case "$topology" in
    lan) die "block-udp is IPv4 only; the lan topology would leave IPv6 open" ;;
    samenat)
      [ "$role" = a ] && addr=$LAN_A.10 other_role=b || addr=$LAN_SHARED_B other_role=a
      echo "$p-$role -"
      echo "$p-$other_role -s $addr"
      echo "$p-ra -i lan -s $addr"
      ;;
    *) loss_places "$p" "$role" ;;
  esac
}

set_block_udp() {
  local p=$1 role=$2 on=$3 chain ns match
  chain="BLOCKUDP_$(tr '[:lower:]' '[:upper:]' <<<"$role")"
  while read -r ns match; do
    ns_exists "$ns" || continue
    ensure_chain "$ns" "$chain" </dev/null
    nsx "$ns" iptables -w -t raw -F "$chain" </dev/null
    [ "$on" = 1 ] || continue
    [ "$match" = - ] && match=""
    # shellcheck disable=SC2086
    nsx "$ns" iptables -w -t raw -A "$chain" -p udp $match -j DROP </dev/null
  done < <(block_places "$p" "$role")
}

# cmd_block_udp 1|0 <prefix> <peer>: block or unblock.
cmd_block_udp() {
  local on=$1
  shift
  [ $# -eq 2 ] || usage
  local p=$1 role
  check_prefix "$p"
  [ -f "$(state_dir "$p")/links" ] || die "no lab '$p' is up"
  role=$(resolve_role "$p" "$2")
  case "$role" in a | b) ;; *) die "block-udp takes a peer (a or b), not '$2'" ;; esac
  set_block_udp "$p" "$role" "$on"
}

main() {
  [ $# -ge 1 ] || usage
  local cmd=$1
  shift
  case "$cmd" in
    up) cmd_up "$@" ;;
    env) cmd_env "$@" ;;
    loss) cmd_loss "$@" ;;
    noloss) cmd_noloss "$@" ;;
    down) cmd_down "$@" ;;
    list) cmd_list "$@" ;;
    reap) cmd_reap "$@" ;;
    isolate4) cmd_isolate4 "$@" ;;
    block-udp) cmd_block_udp 1 "$@" ;;
    unblock-udp) cmd_block_udp 0 "$@" ;;
    *) usage ;;
  esac
}

main "$@"
