// Docker runs its containers through containerd in one namespace of its own. They differ
// from containerd's own in ways Tardis must know: dockerd mounts their rootfs itself
// (config.json's root.path, not <bundle>/rootfs), they have no containerd image, dockerd
// owns their tasks and containers, and `docker start --checkpoint` restores from the
// checkpoint dockerd copied out of containerd.
#ifndef TARDIS_CONTAINER_DOCKER_H_
#define TARDIS_CONTAINER_DOCKER_H_

namespace tardis::container {

inline constexpr char kDockerNamespace[] = "moby";

}  // namespace tardis::container

#endif  // TARDIS_CONTAINER_DOCKER_H_
