#!/usr/bin/env bash
# Installs what Atelier needs on a Debian/Ubuntu machine and is a no-op when it is all there.
# Usage: scripts/setup.sh [up|test]   ("up": what running needs; "test": also the test peers)
# Idempotent; each step says what it does. Needs root (or sudo) only when something is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
MODE=${1:-up}
CACHE=${ATELIER_SETUP_CACHE:-/var/cache/atelier-setup}
IMAGE=${ATELIER_WORKSPACE_IMAGE:-localhost/atelier-workspace:bookworm}
PODMAN_SOCK=/run/podman/podman.sock
t0=$(date +%s)
step() { echo "[setup +$(($(date +%s) - t0))s] $*"; }
die() { echo "setup: $*" >&2; exit 2; }
SUDO=""
if [ "$(id -u)" != 0 ]; then command -v sudo >/dev/null && SUDO=sudo; fi

# 1. Node.js >= 20.19 (Vite and the toolchain need it). We cannot install Node for you portably.
node_ok() { node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>20||(a===20&&b>=19)?0:1)' 2>/dev/null; }
node_ok || die "Node.js >= 20.19 is required (found: $(node --version 2>/dev/null || echo none)). Install it from your distribution or nodejs.org, then run this again."

# 2. Debian packages.
engine_answers() {
  [ -n "${DOCKER_HOST:-}" ] && return 0
  for s in /var/run/docker.sock "$PODMAN_SOCK"; do
    [ -S "$s" ] && curl -sf --max-time 2 --unix-socket "$s" http://d/_ping >/dev/null 2>&1 && return 0
  done
  return 1
}
PKGS=(git curl zstd tar debootstrap libnss-myhostname)
# code-server's native modules are built on install (atelier up installs the IDE on first start):
# a C++ compiler, make, python3 for node-gyp, and gssapi.h for `kerberos`.
PKGS+=(g++ make python3 libkrb5-dev)
engine_answers || PKGS+=(podman crun catatonit uidmap slirp4netns)
if [ "$MODE" = test ]; then
  PKGS+=(podman crun catatonit uidmap slirp4netns mariadb-server chromium openssh-client tmux busybox-static
    docker-registry pebble bind9 bind9-utils bind9-dnsutils openssh-server openssh-sftp-server nginx)
fi
missing=()
for p in $(printf "%s\n" "${PKGS[@]}" | sort -u); do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p"); done
if ((${#missing[@]})); then
  command -v apt-get >/dev/null || die "missing packages (${missing[*]}) and no apt-get: install them by hand"
  [ "$(id -u)" = 0 ] || [ -n "$SUDO" ] || die "missing packages (${missing[*]}): run as root or install sudo"
  step "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q >/dev/null
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

# 3. Podman as a Docker-compatible engine (only when we are the ones providing the engine).
# Registries on this machine's loopback speak plain HTTP (the tests' registry, a laptop's own);
# Podman's service reads this only when it starts, so a change restarts a service we run.
REG_CONF=/etc/containers/registries.conf.d/50-atelier-loopback.conf
REG_WANT=$'# every port of 127.0.0.1: containers/image matches a location without a port on any port\n[[registry]]\nlocation = "127.0.0.1"\ninsecure = true'
if command -v podman >/dev/null && [ "$(cat "$REG_CONF" 2>/dev/null)" != "$REG_WANT" ]; then
  step "registries.conf.d: plain HTTP for registries on 127.0.0.1"
  $SUDO mkdir -p "$(dirname "$REG_CONF")"
  printf '%s\n' "$REG_WANT" | $SUDO tee "$REG_CONF" >/dev/null
  if pid=$(pgrep -n -f "podman system service"); then
    step "restart podman system service to read it"
    $SUDO kill "$pid"
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
fi
# conmon, started by the service for every container, needs the service's working directory: one
# whose folder was deleted (a CI clone removed while the service kept running) fails every start
# with "write child: broken pipe". The service runs from / and is restarted when its folder is gone.
if pid=$(pgrep -n -f "podman system service") && $SUDO readlink "/proc/$pid/cwd" | grep -q " (deleted)$"; then
  step "restart podman system service: its working directory was deleted"
  $SUDO kill "$pid"
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
fi
if command -v podman >/dev/null && ! engine_answers; then
  if [ -d /sys/fs/cgroup/memory ] && ! mountpoint -q /sys/fs/cgroup/hugetlb; then
    step "mount cgroup v1 hugetlb (crun refuses hybrid mode without it)"
    $SUDO mkdir -p /sys/fs/cgroup/hugetlb && $SUDO mount -t cgroup -o hugetlb cgroup /sys/fs/cgroup/hugetlb || true
  fi
  start_service() {
    $SUDO mkdir -p "$(dirname "$PODMAN_SOCK")" "$CACHE"
    $SUDO sh -c "cd / && nohup podman system service --time=0 unix://$PODMAN_SOCK > $CACHE/podman-service.log 2>&1 &"
    for _ in $(seq 1 100); do engine_answers && return 0; sleep 0.1; done
    die "podman system service did not answer on $PODMAN_SOCK; see $CACHE/podman-service.log"
  }
  step "start the Docker-compatible API: podman system service on $PODMAN_SOCK"
  start_service
  # crun cannot raise a container's limits above the service's own hard limits (no CAP_SYS_RESOURCE
  # in sandboxes), and Podman's defaults ask for more: align default_ulimits with the service.
  pid=$(pgrep -n -f "podman system service") || die "podman system service is not running"
  nofile=$(awk '/^Max open files/ {print $5}' "/proc/$pid/limits"); [ "$nofile" = unlimited ] && nofile=1048576
  nproc=$(awk '/^Max processes/ {print $4}' "/proc/$pid/limits"); [ "$nproc" = unlimited ] && nproc=1048576
  want="default_ulimits = [\"nofile=$nofile:$nofile\", \"nproc=$nproc:$nproc\"]"
  if ! grep -qxF "$want" /etc/containers/containers.conf 2>/dev/null; then
    step "containers.conf: $want (the service's own limits); restart the service"
    $SUDO mkdir -p /etc/containers
    if grep -q '^default_ulimits' /etc/containers/containers.conf 2>/dev/null; then
      $SUDO sed -i "s|^default_ulimits.*|$want|" /etc/containers/containers.conf
    elif grep -q '^\[containers\]' /etc/containers/containers.conf 2>/dev/null; then
      $SUDO sed -i "/^\[containers\]/a $want" /etc/containers/containers.conf
    else
      printf '[containers]\n%s\n' "$want" | $SUDO tee -a /etc/containers/containers.conf >/dev/null
    fi
    $SUDO kill "$pid"
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    start_service
  fi
fi
engine_answers || die "no container engine answers: start Docker or Podman (podman system service), or set DOCKER_HOST"

# 4. Default workspace image (Debian bookworm, user gitpod 33333), unless the engine has it already,
# made from this package list (its hash labels the image, so a changed list makes a new one).
INCLUDE=git,bash,ca-certificates,curl,sudo,procps,less,openssh-client,openssh-sftp-server,python3,tar,vim-tiny,locales
ROOTFS_KEY=$(printf '%s' "$INCLUDE" | sha256sum | cut -c1-12)
ROOTFS="$CACHE/workspace-rootfs-$ROOTFS_KEY.tar"
image_current() {
  curl -sf --unix-socket "${ENGINE_SOCK:-$PODMAN_SOCK}" "http://d/images/$IMAGE/json" 2>/dev/null |
    grep -q "\"atelier.rootfs\": *\"$ROOTFS_KEY\"" ||
    [ "$(podman image inspect --format '{{ index .Labels "atelier.rootfs" }}' "$IMAGE" 2>/dev/null)" = "$ROOTFS_KEY" ]
}
if ! image_current; then
  $SUDO mkdir -p "$CACHE"
  if [ ! -s "$ROOTFS" ]; then
    step "debootstrap the default workspace image (about 40 s, once)"
    r=$(mktemp -d)
    $SUDO debootstrap --variant=minbase --include="$INCLUDE" bookworm "$r" >/dev/null
    $SUDO chroot "$r" useradd -m -u 33333 -U -s /bin/bash gitpod
    echo 'gitpod ALL=(ALL) NOPASSWD:ALL' | $SUDO tee "$r/etc/sudoers.d/gitpod" >/dev/null
    $SUDO chmod 440 "$r/etc/sudoers.d/gitpod"
    $SUDO mkdir -p "$r/workspace" && $SUDO chown 33333:33333 "$r/workspace"
    $SUDO rm -rf "$r"/var/cache/apt/archives/*.deb "$r"/var/cache/apt/*.bin "$r"/var/lib/apt/lists/*
    $SUDO tar -C "$r" --numeric-owner -cf "$ROOTFS.tmp" .
    $SUDO mv "$ROOTFS.tmp" "$ROOTFS"
    $SUDO rm -rf "$r"
  fi
  step "import $IMAGE"
  changes=(--change 'CMD ["/bin/bash"]' --change 'ENV LANG=C.UTF-8'
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
    --change 'USER gitpod' --change 'WORKDIR /workspace' --change "LABEL atelier.rootfs=$ROOTFS_KEY")
  if command -v podman >/dev/null; then
    $SUDO podman import "${changes[@]}" "$ROOTFS" "$IMAGE" >/dev/null
  else
    docker import "${changes[@]}" "$ROOTFS" "$IMAGE" >/dev/null
  fi
fi
# 5. npm packages (npm ci when the lock file changed since the last install).
lock_sum=$(sha256sum package-lock.json 2>/dev/null | cut -c1-64 || echo none)
if [ ! -f node_modules/.atelier-lock ] || [ "$(cat node_modules/.atelier-lock)" != "$lock_sum" ]; then
  step "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_sum" > node_modules/.atelier-lock
fi

# 6. Build the parts that run outside Node's module loader: supervisor bundle, dashboard.
step "build supervisor and dashboard"
npm run --silent build

# 7. Tests: VS Code for the browser (code-server + Node 24) in .cache/ide, which the IDE tests run.
# About 2 minutes the first time; afterwards the installer finds it and prints nothing.
if [ "$MODE" = test ]; then
  step "VS Code for the browser (.cache/ide)"
  node --import tsx packages/ide/bin/install.ts --dir .cache/ide --quiet
fi

step "ready"
