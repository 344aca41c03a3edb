//! The settings file: `--config FILE` or `HOLDFAST_CONFIG`, a TOML table whose keys are the
//! long flags with `_` for `-` (`database_url`, `dynamodb_endpoint`, `table_prefix`, `listen`,
//! `jwt_secret`, `log_format`, …).
//!
//! Precedence is flags > `HOLDFAST_*` environment > file > built-in defaults. The file's values
//! become the *defaults* of the matching arguments of every subcommand before clap parses, so
//! clap's own precedence (command line, then `env`, then default) does the rest — no
//! environment variable is touched. An unknown key or a value that is not a string, integer or
//! boolean is an error (exit 2), so a typo never goes unnoticed.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Command;

/// The config file named by `--config FILE` / `--config=FILE` anywhere in `args`, else by
/// `HOLDFAST_CONFIG`.
pub fn config_path(args: &[OsString]) -> Option<PathBuf> {
    let mut iter = args.iter().skip(1);
    while let Some(arg) = iter.next() {
        let text = arg.to_string_lossy();
        if text == "--" {
            break;
        }
        if text == "--config" {
            return iter.next().map(PathBuf::from);
        }
        if let Some(value) = text.strip_prefix("--config=") {
            return Some(PathBuf::from(value));
        }
    }
    std::env::var_os("HOLDFAST_CONFIG")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// The file's settings as text values, by key.
pub fn read(path: &Path) -> anyhow::Result<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the settings file {}", path.display()))?;
    let table: toml::Table = toml::from_str(&text).map_err(|e| {
        anyhow::anyhow!(
            "the settings file {} is not valid TOML: {}",
            path.display(),
            e.message()
        )
    })?;
    let mut values = BTreeMap::new();
    for (key, value) in table {
        let text = match value {
            toml::Value::String(s) => s,
            toml::Value::Integer(n) => n.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            other => bail!(
                "the settings file {}: `{key}` must be a string, integer or boolean, not {}",
                path.display(),
                other.type_str()
            ),
        };
        values.insert(key, text);
    }
    Ok(values)
}

/// Makes each file value the default of every argument whose long flag matches its key.
fn apply(
    mut command: Command,
    values: &BTreeMap<String, String>,
    used: &mut Vec<String>,
) -> Command {
    let matching: Vec<(String, String)> = command
        .get_arguments()
        .filter_map(|a| {
            let key = a.get_long()?.replace('-', "_");
            values
                .get(&key)
                .map(|v| (a.get_id().to_string(), v.clone()))
                .map(|(id, v)| {
                    used.push(key);
                    (id, v)
                })
        })
        .collect();
    for (id, value) in matching {
        // clap keeps defaults for the life of the process; the file is read once.
        let value: &'static str = Box::leak(value.into_boxed_str());
        command = command.mut_arg(id, |a| a.default_value(value));
    }
    let names: Vec<String> = command
        .get_subcommands()
        .map(|s| s.get_name().to_owned())
        .collect();
    for name in names {
        command = command.mut_subcommand(name, |sub| apply(sub, values, used));
    }
    command
}

/// `command` with the settings file's values as defaults (none without a file).
pub fn with_file_defaults(command: Command, args: &[OsString]) -> anyhow::Result<Command> {
    let Some(path) = config_path(args) else {
        return Ok(command);
    };
    let values = read(&path)?;
    let mut used = Vec::new();
    let command = apply(command, &values, &mut used);
    if let Some(unknown) = values.keys().find(|k| !used.contains(k)) {
        bail!(
            "the settings file {}: unknown setting `{unknown}` (keys are the long flags with _ for -, e.g. database_url, listen, table_prefix)",
            path.display()
        );
    }
    Ok(command)
}
