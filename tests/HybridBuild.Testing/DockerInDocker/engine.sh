#!/bin/sh
# dockerd as the container's main process; its socket in /run/engine, owned by the test process's group (ENGINE_SOCKET_GID).
set -eu
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
  # cgroup v2: move this container's processes out of its root cgroup, so its controllers can be handed down to dockerd's containers
  mkdir -p /sys/fs/cgroup/init
  xargs -rn1 < /sys/fs/cgroup/cgroup.procs > /sys/fs/cgroup/init/cgroup.procs 2>/dev/null || :
  sed -e 's/ / +/g' -e 's/^/+/' < /sys/fs/cgroup/cgroup.controllers > /sys/fs/cgroup/cgroup.subtree_control || :
fi
rm -f /run/engine/docker.sock
exec dockerd -H unix:///run/engine/docker.sock --group "${ENGINE_SOCKET_GID:-0}" "$@"
