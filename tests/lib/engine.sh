# engine.sh — a private, throwaway Docker engine for integration tests (source it from bash).
#
# Everything lives under one temp dir: socket, data root, exec root, pidfile, containerd namespace.
# The machine's default engine (/var/run/docker.sock) is never touched: DOCKER_HOST always points at
# our own socket. Typical use:
#
#   . "$top_srcdir/tests/lib/engine.sh"
#   engine_require                 # skips the whole test (TAP "1..0 # SKIP") when it cannot run
#   engine_start --tcp             # sets ENGINE_DIR ENGINE_SOCK DOCKER_HOST [ENGINE_TCP_HOST]
#   engine_start --tls             # the tcp listener speaks TLS and wants a client certificate:
#                                  # sets ENGINE_TLS_HOST and ENGINE_CERT_PATH (ca.pem cert.pem key.pem)
#   engine_on_cleanup 'kill $pid'  # extra teardown, run before the engine goes away
#   engine_image lookout-test/busybox:latest
#   engine_halt; engine_restart    # an outage: same socket and data root afterwards
#
# Several engines at once: engine_use NAME makes NAME the current engine (a new NAME starts empty, ready
# for engine_start); every other function, and DOCKER_HOST for the docker CLI, act on the current one.
# The first engine is called "default". Teardown stops them all.
#
# Teardown runs from an EXIT/INT/TERM/HUP trap: containers removed, dockerd SIGTERMed and waited
# for, leftover mounts under the dir unmounted, no process may still name the dir, then rm -rf.

ENGINE_DIR=
ENGINE_SOCK=
ENGINE_PID=
ENGINE_TCP_PORT=
ENGINE_TCP_HOST=
ENGINE_TLS=
ENGINE_TLS_HOST=
ENGINE_CERT_PATH=
ENGINE_NS=
ENGINE_STORAGE=
ENGINE__CLEANUP=()
ENGINE__DONE=

# Why the whole test is skipped. The .sh tests run under automake's TAP driver, which records a
# "1..0 # SKIP reason" plan as SKIP but would turn a bare exit 77 into ERROR; a caller run by the
# plain driver can set ENGINE_SKIP_STATUS=77.
engine_skip() {
	printf '1..0 # SKIP %s\n' "$*"
	exit "${ENGINE_SKIP_STATUS:-0}"
}

engine__log() { printf '# engine: %s\n' "$*" >&2; }

# engine_require: root, dockerd, docker CLI, a static busybox, curl and Debian's python3.
engine_require() {
	[ "$(id -u)" = 0 ] || engine_skip "needs root to run a private dockerd"
	command -v dockerd >/dev/null 2>&1 || engine_skip "dockerd not installed (Debian package docker.io)"
	command -v docker >/dev/null 2>&1 || engine_skip "docker CLI not installed (Debian package docker.io)"
	command -v curl >/dev/null 2>&1 || engine_skip "curl not installed"
	[ -x /usr/bin/python3 ] || engine_skip "/usr/bin/python3 not installed"
	ENGINE_BUSYBOX=
	for b in /bin/busybox /usr/bin/busybox; do
		if [ -x "$b" ] && ! ldd "$b" >/dev/null 2>&1; then ENGINE_BUSYBOX=$b; break; fi
	done
	[ -n "$ENGINE_BUSYBOX" ] || engine_skip "no static busybox (Debian package busybox-static)"
	[ -d /sys/fs/cgroup ] || engine_skip "no /sys/fs/cgroup"
}

# engine_on_cleanup CMD: run CMD (eval'd) at teardown, before containers and dockerd are removed.
engine_on_cleanup() { ENGINE__CLEANUP+=("$1"); }

# engine_free_port: a TCP port on 127.0.0.1 that nothing listens on right now (kernel-chosen).
engine_free_port() {
	/usr/bin/python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# engine_api PATH [curl args...]: a request to our engine's API over its unix socket.
engine_api() {
	local path=$1; shift
	curl -sS --max-time 30 --unix-socket "$ENGINE_SOCK" "$@" "http://d$path"
}

engine__ping() { curl -s --max-time 2 --unix-socket "$ENGINE_SOCK" http://d/_ping 2>/dev/null | grep -qx OK; }

engine__alive() { [ -n "$ENGINE_PID" ] && kill -0 "$ENGINE_PID" 2>/dev/null; }

# Start dockerd with one storage driver; 0 when it answers _ping, 1 when it died or never answered.
engine__try_start() {
	rm -rf --one-file-system "$ENGINE_DIR/data" "$ENGINE_DIR/exec"
	mkdir -p "$ENGINE_DIR/data" "$ENGINE_DIR/exec"
	: >"$ENGINE_DIR/dockerd.log"
	engine__launch "$1"
}

# Start dockerd on the existing data root (engine__try_start's second half).
engine__launch() {
	local driver=$1 deadline hosts
	hosts=(-H "unix://$ENGINE_SOCK")
	[ -n "$ENGINE_TCP_PORT" ] && hosts+=(-H "tcp://127.0.0.1:$ENGINE_TCP_PORT")
	[ -n "$ENGINE_TLS" ] && hosts+=(--tlsverify --tlscacert "$ENGINE_DIR/tls/ca.pem"
		--tlscert "$ENGINE_DIR/tls/server-cert.pem" --tlskey "$ENGINE_DIR/tls/server-key.pem")
	dockerd --config-file "$ENGINE_DIR/daemon.json" \
		--data-root "$ENGINE_DIR/data" --exec-root "$ENGINE_DIR/exec" \
		--pidfile "$ENGINE_DIR/dockerd.pid" "${hosts[@]}" \
		--iptables=false --ip6tables=false --ip-masq=false --bridge=none \
		--containerd-namespace "$ENGINE_NS" --containerd-plugins-namespace "$ENGINE_NS-plugins" \
		--storage-driver "$driver" \
		</dev/null >>"$ENGINE_DIR/dockerd.log" 2>&1 &
	ENGINE_PID=$!
	# Generous: a loaded CI machine can take many seconds; normally it answers in about half a second.
	deadline=$((SECONDS + 90))
	while [ $SECONDS -lt $deadline ]; do
		if ! engine__alive; then
			wait "$ENGINE_PID" 2>/dev/null
			ENGINE_PID=
			return 1
		fi
		engine__ping && return 0
		sleep 0.2
	done
	engine__log "dockerd did not answer _ping within 90 s"
	engine__stop_dockerd
	return 1
}

# engine__make_certs: a CA, a server certificate for IP 127.0.0.1 and a client certificate, made with
# openssl under $ENGINE_DIR/tls; the client's files in the layout of DOCKER_CERT_PATH (tls/client).
engine__make_certs() {
	local d=$ENGINE_DIR/tls ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
	mkdir -p "$d/client" && chmod 700 "$d" || return 1
	{
		openssl req -x509 "${ec[@]}" -keyout "$d/ca-key.pem" -out "$d/ca.pem" -days 2 \
			-subj /CN=lookout-test-ca &&
		openssl req "${ec[@]}" -keyout "$d/server-key.pem" -out "$d/server.csr" -subj /CN=127.0.0.1 &&
		printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >"$d/server.ext" &&
		openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca-key.pem" -CAcreateserial \
			-out "$d/server-cert.pem" -days 2 -extfile "$d/server.ext" &&
		openssl req "${ec[@]}" -keyout "$d/client/key.pem" -out "$d/client.csr" -subj /CN=lookout-test-client &&
		printf 'extendedKeyUsage=clientAuth\n' >"$d/client.ext" &&
		openssl x509 -req -in "$d/client.csr" -CA "$d/ca.pem" -CAkey "$d/ca-key.pem" -CAcreateserial \
			-out "$d/client/cert.pem" -days 2 -extfile "$d/client.ext" &&
		cp "$d/ca.pem" "$d/client/ca.pem"
	} >"$d/openssl.log" 2>&1
}

# engine_start [--tcp | --tls]: start the private engine and export DOCKER_HOST for it (its unix socket).
engine_start() {
	local tcp=
	ENGINE_TLS=
	case "${1:-}" in
	--tcp) tcp=1 ;;
	--tls) tcp=1 ENGINE_TLS=1 ;;
	esac
	if [ -n "$ENGINE_TLS" ] && ! command -v openssl >/dev/null 2>&1; then
		engine_skip "openssl not installed (needed for a TLS engine's certificates)"
	fi
	# Short path: unix socket paths are limited to 108 bytes, and containerd's shim sockets live
	# under the exec root.
	ENGINE_DIR=$(mktemp -d /tmp/lookout-eng.XXXXXX) || { echo "Bail out! mktemp failed"; exit 1; }
	chmod 711 "$ENGINE_DIR"
	ENGINE_SOCK=$ENGINE_DIR/docker.sock
	ENGINE_NS="lookout-test-${ENGINE_DIR##*.}-$$"
	echo '{}' >"$ENGINE_DIR/daemon.json"
	trap 'engine_stop' EXIT
	trap 'engine_stop; exit 130' INT
	trap 'engine_stop; exit 143' TERM
	trap 'engine_stop; exit 129' HUP

	# The client: only our engine, and no state written to the user's ~/.docker.
	export DOCKER_HOST="unix://$ENGINE_SOCK"
	export DOCKER_CONFIG="$ENGINE_DIR/cli"
	unset DOCKER_CONTEXT DOCKER_TLS_VERIFY DOCKER_CERT_PATH DOCKER_API_VERSION
	mkdir -p "$DOCKER_CONFIG"
	if [ -n "$ENGINE_TLS" ] && ! engine__make_certs; then
		sed 's/^/#   /' "$ENGINE_DIR/tls/openssl.log" >&2
		echo "Bail out! openssl could not make the test certificates"
		exit 1
	fi

	local driver attempt
	# ENGINE_DRIVERS overrides the order (e.g. "vfs" to try the fallback by hand).
	for driver in ${ENGINE_DRIVERS:-overlay2 vfs}; do
		for attempt in 1 2 3; do
			ENGINE_TCP_PORT=
			[ -n "$tcp" ] && ENGINE_TCP_PORT=$(engine_free_port)
			if engine__try_start "$driver"; then
				ENGINE_STORAGE=$driver
				break 2
			fi
			# A lost race for the tcp port is worth another try; anything else goes to the next driver.
			if [ -n "$tcp" ] && grep -qi 'address already in use' "$ENGINE_DIR/dockerd.log"; then
				continue
			fi
			engine__log "dockerd with storage driver $driver failed:"
			tail -n 5 "$ENGINE_DIR/dockerd.log" | sed 's/^/#   /' >&2
			break
		done
	done
	if [ -z "$ENGINE_STORAGE" ]; then
		echo "Bail out! the private dockerd would not start (log: see above)"
		exit 1
	fi
	if [ -n "$ENGINE_TLS" ]; then
		ENGINE_TLS_HOST="tcp://127.0.0.1:$ENGINE_TCP_PORT"
		ENGINE_CERT_PATH=$ENGINE_DIR/tls/client
		local deadline=$((SECONDS + 30))
		until curl -s --max-time 2 --cacert "$ENGINE_CERT_PATH/ca.pem" --cert "$ENGINE_CERT_PATH/cert.pem" \
			--key "$ENGINE_CERT_PATH/key.pem" "https://127.0.0.1:$ENGINE_TCP_PORT/_ping" 2>/dev/null | grep -qx OK; do
			if [ $SECONDS -ge $deadline ]; then
				echo "Bail out! dockerd does not answer on $ENGINE_TLS_HOST with TLS"
				exit 1
			fi
			sleep 0.2
		done
	elif [ -n "$tcp" ]; then
		ENGINE_TCP_HOST="tcp://127.0.0.1:$ENGINE_TCP_PORT"
		local deadline=$((SECONDS + 30))
		until curl -s --max-time 2 "http://127.0.0.1:$ENGINE_TCP_PORT/_ping" 2>/dev/null | grep -qx OK; do
			if [ $SECONDS -ge $deadline ]; then
				echo "Bail out! dockerd does not answer on $ENGINE_TCP_HOST"
				exit 1
			fi
			sleep 0.2
		done
	fi
	engine__log "dockerd $ENGINE_PID up at $ENGINE_SOCK${ENGINE_TCP_HOST:+ and $ENGINE_TCP_HOST}${ENGINE_TLS_HOST:+ and $ENGINE_TLS_HOST (TLS)} (storage $ENGINE_STORAGE, namespace $ENGINE_NS)"
}

# engine_image NAME:TAG: a busybox-static image, imported from a rootfs (no registry, no network).
engine_image() {
	local tag=$1 root=$ENGINE_DIR/rootfs applet
	rm -rf "$root"
	mkdir -p "$root/bin" "$root/sbin" "$root/usr/bin" "$root/usr/sbin" \
		"$root/etc" "$root/tmp" "$root/proc" "$root/sys" "$root/dev" "$root/root"
	chmod 1777 "$root/tmp"
	cp "$ENGINE_BUSYBOX" "$root/bin/busybox"
	# --list-full gives each applet's usual directory. The list includes "busybox" itself: linking
	# that would replace the binary with a link to itself.
	"$ENGINE_BUSYBOX" --list-full | while read -r applet; do
		case $applet in
		*/busybox | busybox | "") continue ;;
		esac
		[ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
	done
	[ -e "$root/bin/sh" ] || ln -s /bin/busybox "$root/bin/sh"
	echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
	echo 'root:x:0:' >"$root/etc/group"
	tar -C "$root" -c . | docker import -c 'CMD ["/bin/sh"]' - "$tag" >/dev/null ||
		{ echo "Bail out! docker import of the busybox rootfs failed"; exit 1; }
	rm -rf "$root"
}

# engine_halt: stop dockerd (an engine outage) but keep its socket path, data root, images and
# containers, for engine_restart. Containers without a restart policy end up exited.
engine_halt() {
	engine__stop_dockerd
	engine__log "dockerd halted (data root kept)"
}

# engine_restart: start dockerd again on the same socket, data root and storage driver after
# engine_halt; returns when it answers _ping (containers with --restart always come back by themselves).
engine_restart() {
	engine__alive && return 0
	if ! engine__launch "$ENGINE_STORAGE"; then
		tail -n 5 "$ENGINE_DIR/dockerd.log" | sed 's/^/#   /' >&2
		echo "Bail out! the private dockerd would not start again"
		exit 1
	fi
	engine__log "dockerd $ENGINE_PID up again at $ENGINE_SOCK"
}

engine__stop_dockerd() {
	local deadline
	engine__alive || { ENGINE_PID=; return 0; }
	kill -TERM "$ENGINE_PID" 2>/dev/null
	deadline=$((SECONDS + 60))
	while engine__alive && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
	if engine__alive; then
		engine__log "dockerd $ENGINE_PID ignored SIGTERM for 60 s; SIGKILL"
		kill -KILL "$ENGINE_PID" 2>/dev/null
	fi
	wait "$ENGINE_PID" 2>/dev/null
	ENGINE_PID=
}

# Pids of processes whose command line or cwd names our dir (containerd, shims, ...).
engine__pids_in_dir() {
	# One process for the whole scan: forking per /proc entry is slow on a loaded machine.
	/usr/bin/python3 - "$ENGINE_DIR" "$$" <<'PY'
import os, sys
d, me = sys.argv[1], sys.argv[2]
for p in os.listdir("/proc"):
    if not p.isdigit() or p == me or p == str(os.getpid()):
        continue
    try:
        with open("/proc/%s/cmdline" % p, "rb") as f:
            cmd = f.read().replace(b"\0", b" ").decode("utf-8", "replace")
        cwd = os.readlink("/proc/%s/cwd" % p) if os.path.exists("/proc/%s/cwd" % p) else ""
    except OSError:
        continue
    if (d + "/") in cmd or cwd == d or cwd.startswith(d + "/"):
        print(p)
PY
}

engine__mounts_in_dir() {
	# /proc/mounts escapes spaces etc. as octal; our dir has none. Deepest first.
	awk -v d="$ENGINE_DIR" '$2 == d || index($2, d "/") == 1 { print $2 }' /proc/mounts | sort -r
}

# engine_stop: idempotent teardown of every engine (engine_use), also run from the trap.
engine_stop() {
	local cmd name first=$ENGINE__CUR
	[ -n "$ENGINE__DONE" ] && return 0
	ENGINE__DONE=1
	for cmd in "${ENGINE__CLEANUP[@]}"; do eval "$cmd" || true; done
	engine__teardown
	for name in "${!ENGINE__SLOTS[@]}"; do
		[ "$name" = "$first" ] && continue
		engine_use "$name"
		engine__teardown
	done
}

# ---- several engines ----------------------------------------------------------------------------------
declare -A ENGINE__SLOTS=()
ENGINE__CUR=default
ENGINE__VARS="ENGINE_DIR ENGINE_SOCK ENGINE_PID ENGINE_TCP_PORT ENGINE_TCP_HOST ENGINE_TLS ENGINE_TLS_HOST ENGINE_CERT_PATH ENGINE_NS ENGINE_STORAGE DOCKER_HOST DOCKER_CONFIG"

# engine_use NAME: save the current engine's state under its name and make NAME current (empty when new).
engine_use() {
	local v state=
	for v in $ENGINE__VARS; do state+=$(printf '%s=%q; ' "$v" "${!v:-}"); done
	ENGINE__SLOTS[$ENGINE__CUR]=$state
	ENGINE__CUR=$1
	if [ -n "${ENGINE__SLOTS[$1]+set}" ]; then
		eval "${ENGINE__SLOTS[$1]}"
	else
		for v in $ENGINE__VARS; do printf -v "$v" '%s' ''; done
	fi
	export DOCKER_HOST DOCKER_CONFIG
	ENGINE__SLOTS[$1]=
}

# The teardown of the current engine (engine_stop's second half).
engine__teardown() {
	local ids pids m i
	[ -n "$ENGINE_DIR" ] || return 0
	if engine__alive; then
		ids=$(docker ps -aq 2>/dev/null)
		[ -n "$ids" ] && docker rm -f $ids >/dev/null 2>&1
	fi
	local t0=$SECONDS
	engine__stop_dockerd
	engine__log "dockerd stopped in $((SECONDS - t0)) s"
	# containerd (started by dockerd) and shims should be gone with it; give them a moment, then
	# end what is left — only processes that name our own dir, one by one.
	for i in $(seq 50); do
		pids=$(engine__pids_in_dir)
		[ -z "$pids" ] && break
		sleep 0.2
	done
	if [ -n "$pids" ]; then
		engine__log "processes still in $ENGINE_DIR after dockerd stopped: $(echo $pids); SIGTERM"
		for i in $pids; do kill -TERM "$i" 2>/dev/null; done
		sleep 2
		for i in $(engine__pids_in_dir); do kill -KILL "$i" 2>/dev/null; done
		sleep 0.5
	fi
	for m in $(engine__mounts_in_dir); do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || engine__log "cannot unmount $m"
	done
	pids=$(engine__pids_in_dir)
	[ -n "$pids" ] && engine__log "WARNING: processes still name $ENGINE_DIR: $(echo $pids)"
	if [ -n "$(engine__mounts_in_dir)" ]; then
		engine__log "WARNING: mounts remain under $ENGINE_DIR; leaving it in place"
	elif [ -n "${ENGINE_KEEP:-}" ]; then
		engine__log "ENGINE_KEEP set: leaving $ENGINE_DIR"
	else
		rm -rf --one-file-system "$ENGINE_DIR"
	fi
}
