//! Timing a child process for the benchmarks: wall time, CPU time and peak memory from
//! wait4(2), and what it printed on stdout (the build's own report). Shared by the benches
//! that start `dars` (`#[path]`-included; a bench is its own crate).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub struct Run {
    pub wall: Duration,
    pub user: Duration,
    pub sys: Duration,
    pub max_rss_kib: i64,
    /// What the command printed on stdout; its stderr goes where the caller set it.
    pub report: String,
}

/// Runs the command and reads its CPU time and peak memory from wait4(2).
pub fn measure(cmd: &mut Command) -> Run {
    let start = Instant::now();
    let child = cmd.stdout(Stdio::piped()).spawn().expect("dars starts");
    let pid = child.id() as libc::pid_t;
    let mut stdout = child.stdout.expect("stdout");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut s).ok();
        s
    });
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waits for our own child; `usage` is a valid, writable rusage.
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(r, pid, "wait4");
    let wall = start.elapsed();
    assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0, "build failed");
    let tv = |t: libc::timeval| Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64);
    Run { wall, user: tv(usage.ru_utime), sys: tv(usage.ru_stime), max_rss_kib: usage.ru_maxrss, report: reader.join().unwrap_or_default() }
}
