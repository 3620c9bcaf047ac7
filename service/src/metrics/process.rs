//! The standard `process_*` metrics (the names every Prometheus client library exports, so
//! stock dashboards and alerts work), read from `/proc` at each scrape. Where `/proc` is not
//! there (not Linux) the metrics are left out rather than reported as 0.

use std::fs;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;

/// Clock ticks per second of `/proc/<pid>/stat` times. The kernel reports them in USER_HZ,
/// which is 100 on every Linux architecture Prometheus' own process collector supports.
const TICKS_PER_SECOND: f64 = 100.0;

/// What `/proc` says about this process at one moment.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessSnapshot {
    /// User and system CPU time, seconds.
    pub cpu_seconds: f64,
    /// Resident set size, bytes.
    pub resident_memory_bytes: f64,
    /// Virtual memory size, bytes.
    pub virtual_memory_bytes: f64,
    /// Start time, seconds since the Unix epoch.
    pub start_time_seconds: f64,
}

/// Fields of `/proc/<pid>/stat`, counted from 1 as in proc(5).
const UTIME: usize = 14;
const STIME: usize = 15;
const STARTTIME: usize = 22;
const VSIZE: usize = 23;

impl ProcessSnapshot {
    /// Parses `/proc/self/stat`, `/proc/self/status` and `/proc/stat` texts.
    pub fn parse(stat: &str, status: &str, system_stat: &str) -> Option<ProcessSnapshot> {
        // The command name (field 2) is in parentheses and may hold spaces: split after it.
        let (_, after_name) = stat.rsplit_once(')')?;
        let fields: Vec<&str> = after_name.split_whitespace().collect();
        // `after_name` starts at field 3.
        let field = |n: usize| -> Option<f64> { fields.get(n - 3)?.parse().ok() };
        let boot_time: f64 = system_stat
            .lines()
            .find_map(|line| line.strip_prefix("btime "))?
            .trim()
            .parse()
            .ok()?;
        // VmRSS is in kB, so no page size is needed.
        let rss_kb: f64 = status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))?
            .split_whitespace()
            .next()?
            .parse()
            .ok()?;
        Some(ProcessSnapshot {
            cpu_seconds: (field(UTIME)? + field(STIME)?) / TICKS_PER_SECOND,
            resident_memory_bytes: rss_kb * 1024.0,
            virtual_memory_bytes: field(VSIZE)?,
            start_time_seconds: boot_time + field(STARTTIME)? / TICKS_PER_SECOND,
        })
    }

    fn read() -> Option<ProcessSnapshot> {
        ProcessSnapshot::parse(
            &fs::read_to_string("/proc/self/stat").ok()?,
            &fs::read_to_string("/proc/self/status").ok()?,
            &fs::read_to_string("/proc/stat").ok()?,
        )
    }
}

/// The soft limit on open files from `/proc/self/limits` (`None` when unlimited or absent).
pub fn parse_max_fds(limits: &str) -> Option<f64> {
    limits
        .lines()
        .find_map(|line| line.strip_prefix("Max open files"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

fn open_fds() -> Option<f64> {
    let count = fs::read_dir("/proc/self/fd").ok()?.count();
    // A count of open files is far below 2^53.
    #[allow(clippy::cast_precision_loss)]
    Some(count as f64)
}

fn max_fds() -> Option<f64> {
    parse_max_fds(&fs::read_to_string("/proc/self/limits").ok()?)
}

/// Exports the `process_*` metrics at each scrape.
#[derive(Debug, Default)]
pub struct ProcessCollector;

impl Collector for ProcessCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        if let Some(snapshot) = ProcessSnapshot::read() {
            let cpu = ConstCounter::new(snapshot.cpu_seconds);
            cpu.encode(encoder.encode_descriptor(
                "process_cpu_seconds",
                "Total user and system CPU time spent in seconds",
                None,
                cpu.metric_type(),
            )?)?;
            gauge(
                &mut encoder,
                "process_resident_memory_bytes",
                "Resident memory size in bytes",
                snapshot.resident_memory_bytes,
            )?;
            gauge(
                &mut encoder,
                "process_virtual_memory_bytes",
                "Virtual memory size in bytes",
                snapshot.virtual_memory_bytes,
            )?;
            gauge(
                &mut encoder,
                "process_start_time_seconds",
                "Start time of the process since the Unix epoch in seconds",
                snapshot.start_time_seconds,
            )?;
        }
        if let Some(open) = open_fds() {
            gauge(
                &mut encoder,
                "process_open_fds",
                "Number of open file descriptors",
                open,
            )?;
        }
        if let Some(max) = max_fds() {
            gauge(
                &mut encoder,
                "process_max_fds",
                "Maximum number of open file descriptors",
                max,
            )?;
        }
        Ok(())
    }
}

fn gauge(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    value: f64,
) -> Result<(), std::fmt::Error> {
    let gauge = ConstGauge::new(value);
    gauge.encode(encoder.encode_descriptor(name, help, None, gauge.metric_type())?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_are_counted_after_a_command_name_with_spaces_and_parentheses() {
        let stat = "4242 (oms (cds) x) S 1 4242 4242 0 -1 4194560 500 0 0 0 250 50 0 0 20 0 \
                    9 0 12345 104857600 2500 18446744073709551615";
        let status = "Name:\toms-cds\nVmRSS:\t   10240 kB\nThreads:\t9\n";
        let system = "cpu  1 2 3\nbtime 1700000000\nprocesses 10\n";
        let snapshot = ProcessSnapshot::parse(stat, status, system).expect("parses");
        assert_eq!(snapshot.cpu_seconds, 3.0);
        assert_eq!(snapshot.resident_memory_bytes, 10_485_760.0);
        assert_eq!(snapshot.virtual_memory_bytes, 104_857_600.0);
        assert_eq!(snapshot.start_time_seconds, 1_700_000_123.45);
    }

    #[test]
    fn the_soft_open_files_limit_is_read_and_unlimited_is_left_out() {
        let limits = "Limit                     Soft Limit           Hard Limit           Units\n\
                      Max open files            1024                 524288               files\n";
        assert_eq!(parse_max_fds(limits), Some(1024.0));
        let unlimited =
            "Max open files            unlimited            unlimited            files\n";
        assert_eq!(parse_max_fds(unlimited), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn this_process_can_be_read() {
        let snapshot = ProcessSnapshot::read().expect("/proc is readable on Linux");
        assert!(snapshot.resident_memory_bytes > 0.0);
        assert!(open_fds().is_some_and(|n| n >= 3.0));
    }
}
