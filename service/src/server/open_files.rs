//! The connection cap must sit below the process's open-file limit, or held sockets exhaust the
//! descriptors before the cap refuses anything. Read from `/proc` (no `unsafe` for getrlimit).

/// Descriptors kept free for everything that is not a client connection: the database pool,
/// outgoing calls to FHIR servers and key sets, log files, the listener itself.
const RESERVED_FILES: usize = 128;

/// The configured cap, lowered (with a warning) to fit the open-file limit when it is known.
pub fn connection_cap(configured: usize) -> usize {
    let limit = std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|limits| soft_open_files_limit(&limits));
    let cap = fit_to_limit(configured, limit);
    if cap < configured {
        tracing::warn!(
            configured,
            cap,
            open_file_limit = limit,
            "server.max_connections is above what the open-file limit allows; lowered"
        );
    }
    cap
}

fn fit_to_limit(configured: usize, limit: Option<usize>) -> usize {
    match limit {
        Some(limit) => configured.min(limit.saturating_sub(RESERVED_FILES).max(1)),
        None => configured,
    }
}

/// The soft limit of the `Max open files` line; `None` when unlimited or unreadable.
fn soft_open_files_limit(limits: &str) -> Option<usize> {
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.trim_start_matches("Max open files")
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: &str =
        "Limit                     Soft Limit           Hard Limit           Units     \n\
        Max processes             95432                95432                processes \n\
        Max open files            1024                 524288               files     \n";

    #[test]
    fn the_soft_limit_is_read_from_proc_limits() {
        assert_eq!(soft_open_files_limit(LIMITS), Some(1024));
        assert_eq!(
            soft_open_files_limit("Max open files  unlimited  unlimited  files"),
            None
        );
    }

    #[test]
    fn the_cap_leaves_room_for_the_service_own_files() {
        assert_eq!(fit_to_limit(1024, Some(1024)), 896);
        assert_eq!(fit_to_limit(500, Some(1024)), 500);
        assert_eq!(fit_to_limit(1024, None), 1024);
        assert_eq!(fit_to_limit(1024, Some(10)), 1, "never zero");
    }
}
