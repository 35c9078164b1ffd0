//! Process hardening while secrets are in memory.

/// Disables core dumps and, on Linux, ptrace attach by other processes of
/// the same user, so an unlocked vault's memory cannot be dumped to disk or
/// read by a debugger without root. Failures are ignored: hardening is best
/// effort and must never keep a user out of their vault.
pub fn protect_process_memory() {
    let no_core = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: setrlimit only reads the struct we pass by pointer.
    unsafe {
        libc::setrlimit(libc::RLIMIT_CORE, &no_core);
    }
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_DUMPABLE takes one integer argument and touches no memory.
    unsafe {
        libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0);
    }
}

/// Makes every file and directory this process creates owner-only.
pub fn restrict_new_files() {
    // SAFETY: umask has no memory effects.
    unsafe {
        libc::umask(0o077);
    }
}

/// The machine's physical memory in bytes, if the system says.
pub fn physical_memory_bytes() -> Option<u64> {
    // SAFETY: sysinfo only writes into the struct we pass.
    let mut info: libc::sysinfo = unsafe { std::mem::zeroed() };
    let ok = unsafe { libc::sysinfo(&mut info) } == 0;
    ok.then(|| (info.totalram as u64).saturating_mul(u64::from(info.mem_unit)))
}

/// This process's address-space limit (`ulimit -v`) in bytes, if any.
pub fn address_space_limit() -> Option<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes only into the struct we pass.
    let ok = unsafe { libc::getrlimit(libc::RLIMIT_AS, &mut limit) } == 0;
    (ok && limit.rlim_cur != libc::RLIM_INFINITY).then_some(limit.rlim_cur)
}

/// Whether core dumps are currently disabled for this process.
#[cfg(test)]
fn core_dumps_disabled() -> bool {
    let mut limit = libc::rlimit {
        rlim_cur: 1,
        rlim_max: 1,
    };
    // SAFETY: getrlimit writes only into the struct we pass.
    let ok = unsafe { libc::getrlimit(libc::RLIMIT_CORE, &mut limit) } == 0;
    ok && limit.rlim_cur == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protection_turns_off_core_dumps_and_dumpability() {
        protect_process_memory();
        assert!(core_dumps_disabled());
        #[cfg(target_os = "linux")]
        // SAFETY: PR_GET_DUMPABLE takes no pointer arguments.
        unsafe {
            assert_eq!(libc::prctl(libc::PR_GET_DUMPABLE, 0, 0, 0, 0), 0);
        }
    }
}
