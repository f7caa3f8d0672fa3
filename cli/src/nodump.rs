//! No core dumps: a dump of this process would hold the password, factor
//! or token it handles, readable by whoever reads the dump. As ssh-agent
//! and gpg-agent do: the core size limit 0 (Unix), and on Linux the process
//! marked not dumpable, which also keeps other processes of the user from
//! attaching a debugger to it (ptrace) or reading its memory through /proc.

/// Turns core dumps off for this process (and the limit for its children).
/// Best effort: a failure leaves things as they were.
pub fn forbid_core_dumps() {
    #[cfg(unix)]
    {
        let none = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: a valid rlimit for the calling process.
        unsafe { libc::setrlimit(libc::RLIMIT_CORE, &none) };
    }
    #[cfg(any(target_os = "linux", target_os = "android"))]
    // SAFETY: PR_SET_DUMPABLE with 0 takes no pointers.
    unsafe {
        libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0);
    }
}
