//! `holdfast token`: mint a bearer token for development and tests, signed with the same HS256
//! secret `serve` verifies (`--jwt-secret`, or the embedded default's development secret).

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use holdfast_api::auth::{AuthConfig, Role, TokenIssuer};
use holdfast_domain::common::{GuestId, TenantId};

use crate::settings::{AuthArgs, StoreArgs};

/// Roles a token can carry.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum RoleArg {
    Guest,
    Operator,
    Admin,
}

/// Arguments of `holdfast token`.
#[derive(Args)]
pub struct TokenArgs {
    #[command(flatten)]
    store: StoreArgs,
    #[command(flatten)]
    auth: AuthArgs,
    /// The role.
    #[arg(long, value_enum)]
    role: RoleArg,
    /// The operator's tenant (a ULID).
    #[arg(long)]
    tenant: Option<String>,
    /// The subject: a guest id (ULID; a new one when omitted), or an operator's/admin's user id.
    #[arg(long)]
    sub: Option<String>,
    /// Lifetime, e.g. 30m, 12h, 7d.
    #[arg(long, default_value = "12h")]
    ttl: String,
}

fn parse_ttl(text: &str) -> anyhow::Result<chrono::Duration> {
    let (number, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    );
    let n: i64 = number.parse().with_context(|| {
        format!("--ttl `{text}`: expected a number and a unit, e.g. 30m, 12h, 7d")
    })?;
    let ttl = match unit {
        "s" => chrono::Duration::seconds(n),
        "m" => chrono::Duration::minutes(n),
        "h" | "" => chrono::Duration::hours(n),
        "d" => chrono::Duration::days(n),
        _ => bail!("--ttl `{text}`: the unit must be s, m, h or d"),
    };
    if ttl <= chrono::Duration::zero() || ttl > chrono::Duration::days(365) {
        bail!("--ttl `{text}`: must be positive and at most 365d");
    }
    Ok(ttl)
}

/// Prints the token.
pub async fn run(args: TokenArgs) -> anyhow::Result<()> {
    let ttl = parse_ttl(&args.ttl)?;
    let AuthConfig::Hs256(secret) = args.auth.config(&args.store)? else {
        bail!(
            "tokens for an RS256 deployment are signed by your identity provider, not by holdfast"
        );
    };
    let tenant = args
        .tenant
        .as_deref()
        .map(TenantId::parse)
        .transpose()
        .context("--tenant")?;
    let (role, sub) = match args.role {
        RoleArg::Guest => {
            let guest = match &args.sub {
                Some(sub) => GuestId::parse(sub).context("--sub of a guest")?,
                None => GuestId::new(),
            };
            (Role::Guest, guest.to_string())
        }
        RoleArg::Operator => {
            if tenant.is_none() {
                bail!("an operator token needs --tenant <tenant id>");
            }
            (
                Role::Operator,
                args.sub.clone().unwrap_or_else(|| "operator".into()),
            )
        }
        RoleArg::Admin => (
            Role::Admin,
            args.sub.clone().unwrap_or_else(|| "admin".into()),
        ),
    };
    let token = TokenIssuer::hs256(&secret).mint(role, &sub, tenant, ttl)?;
    println!("{token}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttls_parse_with_units_and_bounds() {
        assert_eq!(parse_ttl("30m").unwrap(), chrono::Duration::minutes(30));
        assert_eq!(parse_ttl("7d").unwrap(), chrono::Duration::days(7));
        assert_eq!(parse_ttl("2").unwrap(), chrono::Duration::hours(2));
        for bad in ["", "0h", "abc", "5w", "400d", "-1h"] {
            assert!(parse_ttl(bad).is_err(), "{bad}");
        }
    }
}
