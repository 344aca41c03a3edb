//! What a run cost, measured from outside around the run (never inside the server), by
//! [`Meter`]: the Postgres commits of the server's database (`pg_stat_database.xact_commit`
//! before and after), each node's optimistic-concurrency conflicts
//! (`holdfast_command_conflicts_total` of its `/metrics` before and after), and the CPU time
//! of the server, Postgres and DynamoDB Local ([`cpu`]).
//!
//! Postgres publishes a backend's counts when the backend goes idle, at most once a second; the
//! counts of a backend that then stays idle are published 10 s later (PostgreSQL 15's
//! `PGSTAT_IDLE_INTERVAL`). So each reading waits `--stats-wait` (11 s) first: the reading
//! before the run then includes the setup's commits, and the reading after it the run's last
//! ones. `xact_commit` counts every committed transaction of the database, read-only ones (a
//! lone `SELECT`) included, from every client: the server (its requests and, if it runs them,
//! its projectors, booking worker and outbox), not the bench's own readings.
//! What a server commits with no load at all (projectors, worker and outbox polling, leases)
//! during the wait after the run is not the run's: it is measured over one more wait of the
//! same length, once the run's commits are all published, and taken off.

use std::time::Duration;

use clap::Args;
use sqlx::PgPool;

use crate::client::Api;
use crate::error::{BenchError, Context};
use crate::parse_duration;
use crate::stats::{Report, number};

/// How the cost of a run is measured.
#[derive(Args, Clone, Debug)]
pub struct CostArgs {
    /// Wait before each reading of `pg_stat_database` (Postgres publishes an idle backend's
    /// last counts 10 s late).
    #[arg(long, default_value = "11s", value_parser = parse_duration)]
    pub stats_wait: Duration,
    /// The server's process id, for its CPU time (repeat for each node of a cluster; none:
    /// the server's CPU is not measured).
    #[arg(long = "server-pid")]
    pub server_pids: Vec<u32>,
    /// Postgres' postmaster process id (default: the parent of the bench's own backend, when
    /// Postgres runs on this machine).
    #[arg(long)]
    pub postgres_pid: Option<u32>,
    /// DynamoDB Local's process id (default: the one process running DynamoDBLocal.jar).
    #[arg(long)]
    pub dynamodb_pid: Option<u32>,
}

/// Readings taken before the run.
pub struct Meter {
    wait: Duration,
    commits: Option<(PgPool, i64)>,
    conflicts: Vec<Option<f64>>,
    cpu: Vec<(cpu::Group, Option<cpu::Reading>)>,
}

/// What the run cost.
#[derive(Clone, Debug, Default)]
pub struct Cost {
    /// Commits of the server's database during the run, idle commits of the wait after it
    /// taken off (`None`: not on Postgres).
    pub commits: Option<i64>,
    /// Commits with no load during one `--stats-wait` (taken off `commits`).
    pub idle: i64,
    /// `--stats-wait`.
    pub wait: Duration,
    /// The database's name.
    pub database: String,
    /// Each node (base URL) and its conflicts during the run (`None`: no `/metrics`).
    pub conflicts: Vec<(String, Option<f64>)>,
    /// CPU time during the run (ms) of the server, Postgres, DynamoDB Local (`Err`: why not).
    pub cpu: Vec<(&'static str, Result<f64, String>)>,
}

impl Meter {
    /// Takes the readings before the run (after waiting `--stats-wait`) of `api`'s nodes and of
    /// the database at `database_url` (commits are read only when it is a Postgres URL).
    pub async fn start(api: &Api, database_url: &str, args: &CostArgs) -> Result<Self, BenchError> {
        let (commits, backend) = if database_url.starts_with("postgres") {
            let pool = sqlx::postgres::PgPoolOptions::new()
                .max_connections(1)
                .connect(database_url)
                .await
                .context("cannot reach the server's Postgres to read pg_stat_database")?;
            let backend: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
                .fetch_one(&pool)
                .await?;
            tokio::time::sleep(args.stats_wait).await;
            let before = xact_commit(&pool).await?;
            (Some((pool, before)), u32::try_from(backend).ok())
        } else {
            (None, None)
        };
        let groups = cpu::Group::find(args, backend);
        let cpu = groups
            .into_iter()
            .map(|group| {
                let reading = group.read();
                (group, reading)
            })
            .collect();
        Ok(Self {
            wait: args.stats_wait,
            commits,
            conflicts: api.conflicts().await,
            cpu,
        })
    }

    /// Takes the readings after the run, once the projectors (if any) have caught up with it
    /// and `--stats-wait` has passed again.
    pub async fn stop(self, api: &Api) -> Result<Cost, BenchError> {
        api.settle().await;
        let cpu = self
            .cpu
            .iter()
            .map(|(group, before)| (group.name, group.spent_ms(before.as_ref())))
            .collect();
        let after = api.conflicts().await;
        let conflicts = api
            .nodes()
            .iter()
            .zip(self.conflicts.iter().zip(after))
            .map(|(node, (before, after))| (node.clone(), before.zip(after).map(|(b, a)| a - b)))
            .collect();
        let mut cost = Cost {
            conflicts,
            cpu,
            wait: self.wait,
            ..Cost::default()
        };
        if let Some((pool, before)) = self.commits {
            tokio::time::sleep(self.wait).await;
            let after = xact_commit(&pool).await?;
            tokio::time::sleep(self.wait).await;
            // Each reading is itself one commit, counted by the next reading.
            cost.idle = xact_commit(&pool).await? - after - 1;
            cost.commits = Some(after - before - 1 - cost.idle);
            cost.database = sqlx::query_scalar("SELECT current_database()::text")
                .fetch_one(&pool)
                .await?;
            pool.close().await;
        }
        Ok(cost)
    }
}

/// `pg_stat_database.xact_commit` of the connection's database.
async fn xact_commit(pool: &PgPool) -> Result<i64, BenchError> {
    sqlx::query_scalar(
        "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()",
    )
    .fetch_one(pool)
    .await
    .context("cannot read pg_stat_database.xact_commit")
}

impl Cost {
    /// Adds the commits per `done` (`what`, e.g. `confirmed booking`) to `report`: a target
    /// `≤ limit` when given, and a note of the raw figures.
    pub fn report_commits(&self, report: &mut Report, done: u64, what: &str, limit: Option<f64>) {
        let Some(commits) = self.commits else {
            report
                .notes
                .push("commits: not measured (the event store is not Postgres)".to_owned());
            return;
        };
        let per = commits as f64 / done.max(1) as f64;
        let figure = format!("{per:.2}");
        match limit {
            Some(limit) => report.target(
                format!("Postgres commits per {what}"),
                figure,
                format!("≤ {limit}"),
                done > 0 && per <= limit,
            ),
            None => report
                .notes
                .push(format!("Postgres commits per {what}: {figure}")),
        }
        report.notes.push(format!(
            "commits: {} in database `{}` over the run (pg_stat_database.xact_commit, read-only transactions included; {} more with no load during the {:.0} s wait after it left out) for {} × {what}",
            number(commits as f64),
            self.database,
            number(self.idle as f64),
            self.wait.as_secs_f64(),
            number(done as f64)
        ));
    }
}

impl Cost {
    /// Adds the conflicts during the run to `report` (a note): in all and by node.
    pub fn report_conflicts(&self, report: &mut Report) {
        let counted: Vec<f64> = self.conflicts.iter().filter_map(|(_, n)| *n).collect();
        if counted.is_empty() {
            report
                .notes
                .push("command conflicts: not counted (no node answered /metrics)".to_owned());
            return;
        }
        let by_node: Vec<String> = self
            .conflicts
            .iter()
            .map(|(node, n)| match n {
                Some(n) => format!("{node} {}", number(*n)),
                None => format!("{node} n/a (no /metrics)"),
            })
            .collect();
        report.notes.push(format!(
            "command conflicts (holdfast_command_conflicts_total, each retried or reported): {} in all; by node: {}",
            number(counted.iter().sum()),
            by_node.join(", ")
        ));
    }
}

impl Cost {
    /// Adds the CPU time per `done` (`what`, e.g. `confirmed booking`) of each process group
    /// to `report` (a note).
    pub fn report_cpu(&self, report: &mut Report, done: u64, what: &str) {
        let parts: Vec<String> = self
            .cpu
            .iter()
            .map(|(name, spent)| match spent {
                Ok(ms) => format!("{name} {:.2} ms", ms / done.max(1) as f64),
                Err(why) => format!("{name} not measured ({why})"),
            })
            .collect();
        report.notes.push(format!(
            "CPU per {what}: {} (user + system time from /proc over the run, the projectors' catch-up included; Postgres and DynamoDB Local also serve anything else that ran meanwhile)",
            parts.join(", ")
        ));
    }
}

/// CPU time of processes, from `/proc/<pid>/stat` (Linux).
pub mod cpu {
    use std::path::Path;

    use super::CostArgs;

    /// A group of processes whose CPU time is summed.
    #[derive(Clone, Debug)]
    pub struct Group {
        /// `server`, `Postgres`, `DynamoDB Local`.
        pub name: &'static str,
        /// How its processes are found (or why they cannot be).
        pub who: Result<Who, String>,
    }

    /// Which processes.
    #[derive(Clone, Debug)]
    pub enum Who {
        /// These processes (and the children they reaped).
        Pids(Vec<u32>),
        /// A process and all its children (Postgres: the postmaster and its backends and
        /// workers; the time of those that exited is in the postmaster's reaped-children time).
        Family(u32),
    }

    /// Summed CPU time, in clock ticks.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct Reading(pub u64);

    /// The fields of `/proc/<pid>/stat` the bench reads.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct Stat {
        /// Parent process.
        pub ppid: u32,
        /// User + system time, in clock ticks.
        pub own: u64,
        /// User + system time of the children it waited for, in clock ticks.
        pub children: u64,
    }

    /// Parses the text of `/proc/<pid>/stat` (the command name may hold spaces and parentheses:
    /// the fields are counted after its last `)`).
    pub fn parse_stat(text: &str) -> Option<Stat> {
        let rest = &text[text.rfind(')')? + 1..];
        let fields: Vec<&str> = rest.split_whitespace().collect();
        // Fields 3.. of proc(5): state, ppid (4), …, utime (14), stime, cutime, cstime (17).
        let field = |n: usize| fields.get(n - 3)?.parse::<u64>().ok();
        Some(Stat {
            ppid: u32::try_from(field(4)?).ok()?,
            own: field(14)? + field(15)?,
            children: field(16)? + field(17)?,
        })
    }

    /// `/proc/<pid>/stat`, parsed.
    pub fn stat(pid: u32) -> Option<Stat> {
        parse_stat(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
    }

    /// Every process id in `/proc`.
    fn pids() -> Vec<u32> {
        std::fs::read_dir("/proc")
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.parse().ok())
            .collect()
    }

    /// Clock ticks per second (`getconf CLK_TCK`; 100, Linux's, if that fails).
    fn ticks_per_second() -> f64 {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok()?.trim().parse().ok())
            .unwrap_or(100.0)
    }

    impl Group {
        /// The server (`--server-pid`), Postgres (`--postgres-pid`, else the parent of the
        /// bench's own backend `backend`) and DynamoDB Local (`--dynamodb-pid`, else the one
        /// process running DynamoDBLocal.jar).
        pub fn find(args: &CostArgs, backend: Option<u32>) -> Vec<Group> {
            let server = if args.server_pids.is_empty() {
                Err("pass --server-pid".to_owned())
            } else {
                Ok(Who::Pids(args.server_pids.clone()))
            };
            let postgres = match (args.postgres_pid, backend) {
                (Some(pid), _) => Ok(Who::Family(pid)),
                (None, Some(backend)) => {
                    stat(backend).map(|s| Who::Family(s.ppid)).ok_or_else(|| {
                        "Postgres is not on this machine; pass --postgres-pid".to_owned()
                    })
                }
                (None, None) => Err("not on Postgres".to_owned()),
            };
            let dynamodb = match args.dynamodb_pid {
                Some(pid) => Ok(Who::Pids(vec![pid])),
                None => {
                    let found: Vec<u32> = pids()
                        .into_iter()
                        .filter(|pid| {
                            std::fs::read(format!("/proc/{pid}/cmdline"))
                                .is_ok_and(|c| c.windows(13).any(|w| w == b"DynamoDBLocal"))
                        })
                        .collect();
                    match found.as_slice() {
                        [one] => Ok(Who::Pids(vec![*one])),
                        [] => {
                            Err("no DynamoDBLocal.jar process here; pass --dynamodb-pid".to_owned())
                        }
                        _ => {
                            Err("several DynamoDBLocal.jar processes; pass --dynamodb-pid"
                                .to_owned())
                        }
                    }
                }
            };
            vec![
                Group {
                    name: "server",
                    who: server,
                },
                Group {
                    name: "Postgres",
                    who: postgres,
                },
                Group {
                    name: "DynamoDB Local",
                    who: dynamodb,
                },
            ]
        }

        /// Its CPU time so far (`None` if its processes cannot be read).
        pub fn read(&self) -> Option<Reading> {
            match self.who.as_ref().ok()? {
                Who::Pids(pids) => {
                    let mut sum = 0;
                    for pid in pids {
                        let s = stat(*pid)?;
                        sum += s.own + s.children;
                    }
                    Some(Reading(sum))
                }
                Who::Family(parent) => {
                    let top = stat(*parent)?;
                    let children: u64 = pids()
                        .into_iter()
                        .filter_map(stat)
                        .filter(|s| s.ppid == *parent)
                        .map(|s| s.own)
                        .sum();
                    Some(Reading(top.own + top.children + children))
                }
            }
        }

        /// Milliseconds of CPU since `before`, or why not.
        pub fn spent_ms(&self, before: Option<&Reading>) -> Result<f64, String> {
            let who = self.who.as_ref().map_err(Clone::clone)?;
            let gone = || format!("cannot read /proc for {who:?}");
            let before = before.ok_or_else(gone)?;
            let after = self.read().ok_or_else(gone)?;
            Ok(after.0.saturating_sub(before.0) as f64 * 1000.0 / ticks_per_second())
        }
    }

    /// Whether `/proc` is there (Linux).
    pub fn available() -> bool {
        Path::new("/proc/self/stat").exists()
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn stat_fields_are_counted_after_the_command_name() {
            let text = "4242 (java (Dynamo) x) S 17 4242 4242 0 -1 4194560 100 0 0 0 \
                        250 30 7 3 20 0 40 0 123 456 789";
            let s = parse_stat(text).unwrap();
            assert_eq!(
                s,
                Stat {
                    ppid: 17,
                    own: 280,
                    children: 10
                }
            );
            assert!(parse_stat("4242 (x) S").is_none());
        }

        #[test]
        fn this_process_can_be_read() {
            if !available() {
                return;
            }
            let me = std::process::id();
            let group = Group {
                name: "me",
                who: Ok(Who::Pids(vec![me])),
            };
            let before = group.read();
            assert!(before.is_some());
            // Burn a little CPU: the reading must not go down.
            let mut x = 0u64;
            for i in 0..5_000_000u64 {
                x = x.wrapping_mul(31).wrapping_add(i);
            }
            std::hint::black_box(x);
            assert!(group.spent_ms(before.as_ref()).unwrap() >= 0.0);
        }
    }
}
