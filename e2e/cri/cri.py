#!/usr/bin/python3
"""A small CRI client for the e2e tests: speaks to containerd's CRI plugin the way the
kubelet does, one call per command, and prints the response as JSON on stdout.

    cri.py --address SOCK --stubs DIR COMMAND [options]

Commands (the kubelet's sequence for one pod and its container):
    version
    run-pod           RunPodSandbox; prints {"pod_sandbox_id": ...}
    create-container  CreateContainer (takes the pod's options again: the kubelet sends
                      the pod's config along); prints {"container_id": ...}
    start ID          StartContainer
    status ID         ContainerStatus; prints {"status": {"state": "CONTAINER_RUNNING", ...}}
    stop ID           StopContainer [--timeout S]
    remove ID         RemoveContainer
    stop-pod ID       StopPodSandbox
    remove-pod ID     RemovePodSandbox
    image-status REF  ImageService.ImageStatus; prints {"image": {...}} ({} when absent)

Pods use the node's network (NamespaceOption network = NODE), so no CNI is needed; the
pid namespace is the container's own and IPC the pod's, as the kubelet sets them for a
pod without shareProcessNamespace or hostIPC.

The Python stubs are generated from api.proto (beside this file) into --stubs DIR with
grpc_tools.protoc on first use. A failed call prints `cri.py METHOD: CODE: details` on
stderr and exits 1; a usage error exits 2.
"""

import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.realpath(__file__))


def load_stubs(stubs):
    if not os.path.exists(os.path.join(stubs, "api_pb2_grpc.py")):
        from grpc_tools import protoc  # pylint: disable=import-outside-toplevel
        os.makedirs(stubs, exist_ok=True)
        status = protoc.main(["grpc_tools.protoc", "-I" + HERE, "--python_out=" + stubs,
                              "--grpc_python_out=" + stubs, os.path.join(HERE, "api.proto")])
        if status != 0:
            sys.exit("cri.py: generating the stubs from api.proto failed")
    sys.path.insert(0, stubs)
    import api_pb2  # pylint: disable=import-outside-toplevel,import-error
    import api_pb2_grpc  # pylint: disable=import-outside-toplevel,import-error
    return api_pb2, api_pb2_grpc


def pairs(values, what):
    out = {}
    for value in values or []:
        key, sep, rest = value.partition("=")
        if not sep or not key:
            raise SystemExit(f"cri.py: {what} must be KEY=VALUE, not {value!r}")
        out[key] = rest
    return out


def pod_config(pb, args):
    config = pb.PodSandboxConfig(
        metadata=pb.PodSandboxMetadata(name=args.pod_name, uid=args.pod_uid,
                                       namespace=args.pod_namespace, attempt=args.pod_attempt),
        log_directory=args.log_dir,
        labels=pairs(args.pod_label, "--pod-label"),
        annotations=pairs(args.pod_annotation, "--pod-annotation"),
        linux=pb.LinuxPodSandboxConfig(
            cgroup_parent=args.cgroup_parent,
            security_context=pb.LinuxSandboxSecurityContext(
                namespace_options=pb.NamespaceOption(network=pb.NODE, pid=pb.CONTAINER, ipc=pb.POD))))
    return config


def add_pod_options(parser):
    parser.add_argument("--pod-name", required=True)
    parser.add_argument("--pod-uid", required=True)
    parser.add_argument("--pod-namespace", default="default")
    parser.add_argument("--pod-attempt", type=int, default=0)
    parser.add_argument("--log-dir", default="", help="the pod's log directory (absolute)")
    parser.add_argument("--cgroup-parent", default="", help="the pod's parent cgroup (cgroupfs syntax)")
    parser.add_argument("--pod-label", action="append", metavar="K=V")
    parser.add_argument("--pod-annotation", action="append", metavar="K=V")


def main():
    parser = argparse.ArgumentParser(prog="cri.py", description="A CRI client for the e2e tests.")
    parser.add_argument("--address", required=True, help="containerd's socket")
    parser.add_argument("--stubs", required=True, help="where the generated Python stubs live")
    parser.add_argument("--timeout", type=float, default=120, help="seconds per call")
    commands = parser.add_subparsers(dest="command", required=True)

    commands.add_parser("version")
    run_pod = commands.add_parser("run-pod")
    add_pod_options(run_pod)
    run_pod.add_argument("--handler", default="", help="the runtime handler (RuntimeClass)")

    create = commands.add_parser("create-container")
    create.add_argument("--pod", required=True, help="the pod sandbox's id")
    add_pod_options(create)
    create.add_argument("--name", required=True, help="the container's name")
    create.add_argument("--attempt", type=int, default=0)
    create.add_argument("--image", required=True)
    create.add_argument("--env", action="append", metavar="K=V")
    create.add_argument("--annotation", action="append", metavar="K=V")
    create.add_argument("--log-path", default="", help="relative to the pod's --log-dir")
    create.add_argument("argv", nargs="+", metavar="-- COMMAND", help="the container's command")

    for name in ("start", "status", "remove", "stop-pod", "remove-pod"):
        commands.add_parser(name).add_argument("id")
    stop = commands.add_parser("stop")
    stop.add_argument("id")
    stop.add_argument("--timeout", dest="grace", type=int, default=0, help="seconds before SIGKILL")
    commands.add_parser("image-status").add_argument("image")

    args = parser.parse_args()
    pb, grpc_pb = load_stubs(args.stubs)
    import grpc  # pylint: disable=import-outside-toplevel
    from google.protobuf import json_format  # pylint: disable=import-outside-toplevel

    channel = grpc.insecure_channel("unix://" + os.path.abspath(args.address))
    runtime = grpc_pb.RuntimeServiceStub(channel)
    images = grpc_pb.ImageServiceStub(channel)

    if args.command == "version":
        call, request = runtime.Version, pb.VersionRequest(version="v1")
    elif args.command == "run-pod":
        # The kubelet makes the pod's log directory before it asks for the pod.
        if args.log_dir:
            os.makedirs(args.log_dir, exist_ok=True)
        call = runtime.RunPodSandbox
        request = pb.RunPodSandboxRequest(config=pod_config(pb, args), runtime_handler=args.handler)
    elif args.command == "create-container":
        call = runtime.CreateContainer
        envs = [pb.KeyValue(key=k, value=v) for k, v in pairs(args.env, "--env").items()]
        config = pb.ContainerConfig(
            metadata=pb.ContainerMetadata(name=args.name, attempt=args.attempt),
            image=pb.ImageSpec(image=args.image), command=args.argv, envs=envs,
            annotations=pairs(args.annotation, "--annotation"), log_path=args.log_path,
            linux=pb.LinuxContainerConfig(security_context=pb.LinuxContainerSecurityContext(
                namespace_options=pb.NamespaceOption(network=pb.NODE, pid=pb.CONTAINER, ipc=pb.POD))))
        request = pb.CreateContainerRequest(pod_sandbox_id=args.pod, config=config,
                                            sandbox_config=pod_config(pb, args))
    elif args.command == "start":
        call, request = runtime.StartContainer, pb.StartContainerRequest(container_id=args.id)
    elif args.command == "status":
        call, request = runtime.ContainerStatus, pb.ContainerStatusRequest(container_id=args.id)
    elif args.command == "stop":
        call, request = runtime.StopContainer, pb.StopContainerRequest(container_id=args.id, timeout=args.grace)
    elif args.command == "remove":
        call, request = runtime.RemoveContainer, pb.RemoveContainerRequest(container_id=args.id)
    elif args.command == "stop-pod":
        call, request = runtime.StopPodSandbox, pb.StopPodSandboxRequest(pod_sandbox_id=args.id)
    elif args.command == "remove-pod":
        call, request = runtime.RemovePodSandbox, pb.RemovePodSandboxRequest(pod_sandbox_id=args.id)
    else:
        call, request = images.ImageStatus, pb.ImageStatusRequest(image=pb.ImageSpec(image=args.image))

    try:
        response = call(request, timeout=args.timeout)
    except grpc.RpcError as error:
        method = type(request).__name__[: -len("Request")]
        print(f"cri.py {method}: {error.code().name}: {error.details()}", file=sys.stderr)
        return 1
    finally:
        channel.close()
    print(json.dumps(json_format.MessageToDict(response, preserving_proto_field_name=True,
                                               including_default_value_fields=True), sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
