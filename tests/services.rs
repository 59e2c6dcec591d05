//! Checks the real-service helpers of `tests/support/services.rs` against the real thing: a
//! Docker daemon runs a container of the offline test image, `curl` fetches from the HTTP
//! server, `nc -z` sees the TCP listener open and then closed, `pgrep -f` finds the marker
//! process. Each test skips, saying why, when its tools are missing, and fails instead when
//! `ORCHE_REQUIRE_DOCKER` is set. Invariant: everything a test starts is gone when it ends,
//! except the shared Docker daemon.

#[allow(dead_code)]
#[path = "support/services.rs"]
mod services;

use services::{HttpServer, Listener, Process};
use std::process::Command;
use std::time::{Duration, Instant};

/// A short deadline for the small tools the tests call.
const TOOL_TIMEOUT: Duration = Duration::from_secs(20);

/// The daemon comes up, the test image builds (or is found) without pulling, and a labelled
/// container runs with `--network none`, has a working shell, and is gone after cleanup.
#[test]
fn docker_runs_a_labelled_container_of_the_test_image() {
    let started = Instant::now();
    let Some(docker) = services::docker_or_skip() else {
        return;
    };
    eprintln!(
        "services: {} (ready in {:.2} s)",
        docker.describe(),
        started.elapsed().as_secs_f64()
    );

    let built = Instant::now();
    let image = docker.test_image().expect("building the test image");
    assert_eq!(image, services::TEST_IMAGE);
    assert!(
        docker.has_image(&image),
        "{image} is missing after test_image"
    );
    eprintln!(
        "services: {image} ready in {:.2} s",
        built.elapsed().as_secs_f64()
    );
    // A second call finds the image by its tag and builds nothing.
    let again = Instant::now();
    assert_eq!(docker.test_image().expect("test image again"), image);
    assert!(
        again.elapsed() < Duration::from_secs(10),
        "the cached test image took {:?}",
        again.elapsed()
    );

    let label = services::unique_label("services");
    let cleanup = docker.cleanup_on_drop(&label);
    let ran = Instant::now();
    let id = docker
        .run(&[
            "run",
            "--detach",
            "--network",
            "none",
            "--label",
            &label,
            &image,
            "sleep",
            "3600",
        ])
        .expect("docker run");
    eprintln!(
        "services: container {} started in {:.2} s",
        &id[..12.min(id.len())],
        ran.elapsed().as_secs_f64()
    );
    let running = docker
        .run(&["inspect", "--format", "{{.State.Running}}", &id])
        .expect("docker inspect");
    assert_eq!(running, "true");
    let network = docker
        .run(&["inspect", "--format", "{{.HostConfig.NetworkMode}}", &id])
        .expect("docker inspect network");
    assert_eq!(network, "none");
    assert_eq!(
        docker.labelled(&label).expect("listing by label"),
        vec![id.clone()]
    );

    // The image's busybox shell works inside the container.
    let sum = docker
        .run(&["exec", &id, "sh", "-c", "echo $((1 + 2))"])
        .expect("docker exec");
    assert_eq!(sum, "3");

    // A child process reaches the same daemon through the environment `configure` sets.
    let mut ps = Command::new("sh");
    ps.args([
        "-c",
        "docker ps --quiet --no-trunc --filter \"label=$1\"",
        "sh",
        &label,
    ]);
    docker.configure(&mut ps);
    let listed = services::run_checked(&mut ps, TOOL_TIMEOUT).expect("docker ps from a script");
    assert_eq!(listed, id);

    assert_eq!(
        docker.remove_labelled(&label).expect("removing by label"),
        1
    );
    assert!(
        docker.run(&["inspect", &id]).is_err(),
        "container {id} still exists after remove_labelled"
    );
    assert_eq!(docker.remove_labelled(&label).expect("removing again"), 0);
    drop(cleanup);
}

/// The HTTP server answers 200 with the file, 404 for a missing one, the status of a status
/// path, and nothing once stopped.
#[test]
fn http_server_serves_files_and_statuses() {
    if !services::require_tools(&["busybox", "curl"]) {
        return;
    }
    let dir = services::TempDir::new("http").expect("creating the served folder");
    std::fs::write(dir.path().join("health.txt"), "ok\n").expect("writing health.txt");
    let Some(server) = services::require(HttpServer::start(dir.path())) else {
        return;
    };
    assert!(server.url("/health.txt").starts_with("http://127.0.0.1:"));
    let curl = |url: &str| -> (String, String) {
        let out = services::run_checked(
            Command::new("curl").args([
                "--silent",
                "--max-time",
                "5",
                "--write-out",
                "\n%{http_code}",
                url,
            ]),
            TOOL_TIMEOUT,
        )
        .unwrap_or_else(|e| panic!("curl {url}: {e}"));
        let (body, code) = out.rsplit_once('\n').unwrap_or(("", &out));
        (code.to_string(), body.trim_end().to_string())
    };
    assert_eq!(curl(&server.url("health.txt")), ("200".into(), "ok".into()));
    assert_eq!(curl(&server.url("/missing.txt")).0, "404");
    let unavailable = server.status_path("down", 503).expect("status path");
    assert_eq!(
        curl(&server.url(&unavailable)),
        ("503".into(), "status 503".into())
    );

    let port = server.port();
    server.stop();
    let after = services::run_with_timeout(
        Command::new("curl").args([
            "--silent",
            "--max-time",
            "5",
            &format!("http://127.0.0.1:{port}/health.txt"),
        ]),
        TOOL_TIMEOUT,
    )
    .expect("curl after stop");
    // curl's exit code 7: failed to connect.
    assert_eq!(
        after.status.code(),
        Some(7),
        "the server still answers after stop"
    );
}

/// `nc -z` sees the listener's port open, and closed after `close`.
#[test]
fn tcp_listener_opens_and_closes() {
    if !services::require_tools(&["nc"]) {
        return;
    }
    let listener = Listener::open().expect("opening a listener");
    let port = listener.port().to_string();
    let nc = |port: &str| {
        services::run_with_timeout(
            Command::new("nc").args(["-z", "-w", "2", "127.0.0.1", port]),
            TOOL_TIMEOUT,
        )
        .expect("running nc")
        .status
        .success()
    };
    assert!(nc(&port), "nc -z does not see 127.0.0.1:{port} open");
    // The accept thread may lag the kernel's handshake by a poll interval.
    let deadline = Instant::now() + Duration::from_secs(2);
    while listener.accepted() == 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(listener.accepted() >= 1, "the listener saw no connection");
    listener.close();
    assert!(
        !nc(&port),
        "nc -z still sees 127.0.0.1:{port} open after close"
    );
    assert!(!services::port_is_open(port.parse().expect("port")));
}

/// `pgrep -f MARKER` finds the marker process and nothing else, and nothing once it is killed.
#[test]
fn marker_process_is_found_by_pgrep_exactly_once() {
    if !services::require_tools(&["pgrep", "sleep"]) {
        return;
    }
    let first = Process::spawn_marker("svc").expect("spawning a marker process");
    let second = Process::spawn_marker("svc").expect("spawning another");
    assert_ne!(first.marker(), second.marker());
    let pgrep = |marker: &str| {
        let out =
            services::run_with_timeout(Command::new("pgrep").args(["-f", marker]), TOOL_TIMEOUT)
                .expect("running pgrep");
        String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    assert_eq!(pgrep(first.marker()), vec![first.pid().to_string()]);
    assert_eq!(pgrep(second.marker()), vec![second.pid().to_string()]);
    // The process name stays `sleep`; the marker is in the command line only.
    let comm = std::fs::read_to_string(format!("/proc/{}/comm", first.pid())).expect("comm");
    assert_eq!(comm.trim(), "sleep");

    let marker = first.marker().to_string();
    first.kill();
    assert!(
        pgrep(&marker).is_empty(),
        "{marker} is still running after kill"
    );
    assert_eq!(pgrep(second.marker()).len(), 1);
    assert!(Process::spawn_marker("no spaces").is_err());
}

/// `free_port` gives a port that can be bound, and never the same one twice.
#[test]
fn free_port_can_be_bound() {
    let port = services::free_port();
    assert_ne!(port, 0);
    assert!((0..20).all(|_| services::free_port() != port));
    let listener = Listener::open_at(port).expect("binding the free port");
    assert_eq!(listener.port(), port);
    assert!(services::port_is_open(port));
}
