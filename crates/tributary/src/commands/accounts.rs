use clap::{Args, Subcommand};
use serde_json::json;
use tributary_api::auth::generate_key;
use tributary_store::{
    audit::{ActorType, NewAuditEvent},
    models::NewApiKey,
    Store,
};
use uuid::Uuid;

use crate::{config::Config, runtime};

#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Create an account and its first API key (shown once).
    Create {
        #[arg(long)]
        name: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// List accounts.
    List {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ApiKeyCommand {
    /// Create an API key for an account (shown once).
    Create(ApiKeyCreate),
    /// List an account's API keys (prefixes only).
    List {
        #[arg(long)]
        account: Uuid,
        #[arg(long)]
        json: bool,
    },
    /// Revoke an API key: it stops working at once.
    Revoke {
        #[arg(long)]
        account: Uuid,
        /// The key's id (from `api-key list`).
        key_id: Uuid,
    },
}

#[derive(Debug, Args)]
pub struct ApiKeyCreate {
    #[arg(long)]
    pub account: Uuid,
    /// A label for the key.
    #[arg(long, default_value = "default")]
    pub name: String,
    #[arg(long)]
    pub json: bool,
}

/// Creates an API key for `account` and returns (key id, secret).
pub async fn create_key(
    store: &dyn Store,
    account: Uuid,
    name: &str,
) -> anyhow::Result<(Uuid, String)> {
    if store.get_account(account).await?.is_none() {
        anyhow::bail!("no account {account}");
    }
    let key = generate_key();
    let stored = store
        .create_api_key(NewApiKey {
            id: Uuid::now_v7(),
            account_id: account,
            name: name.to_owned(),
            prefix: key.prefix,
            key_hash: key.hash,
        })
        .await?;
    let changes = json!({"name": {"from": null, "to": name},
                         "prefix": {"from": null, "to": stored.prefix}});
    audit_key(store, account, "created", stored.id, Some(changes)).await?;
    Ok((stored.id, key.secret))
}

/// Records a key change made with the CLI on the server (never the key itself).
async fn audit_key(
    store: &dyn Store,
    account: Uuid,
    action: &str,
    key_id: Uuid,
    changes: Option<serde_json::Value>,
) -> anyhow::Result<()> {
    store
        .record_audit(NewAuditEvent {
            account_id: account,
            actor_type: ActorType::Cli,
            api_key_id: None,
            session_id: None,
            client_addr: None,
            action: action.to_owned(),
            target_type: "api_key".into(),
            target_id: key_id,
            changes,
        })
        .await?;
    Ok(())
}

pub async fn account(config: &Config, cmd: AccountCommand) -> anyhow::Result<()> {
    let store = runtime::open_store(config).await?;
    runtime::keyring(config, store.as_ref()).await?;
    match cmd {
        AccountCommand::Create { name, json } => {
            let name = name.trim();
            if name.is_empty() {
                anyhow::bail!("--name must not be empty");
            }
            let account = store.create_account(name).await?;
            let (key_id, secret) = create_key(store.as_ref(), account.id, "default").await?;
            if json {
                println!(
                    "{}",
                    json!({"account_id": account.id, "name": account.name, "api_key_id": key_id, "api_key": secret})
                );
            } else {
                println!("account: {} ({})", account.id, account.name);
                println!("API key: {secret}");
                println!(
                    "Store the key now: it is shown only once. Send it as the X-API-KEY header."
                );
            }
        }
        AccountCommand::List { json } => {
            let accounts = store.list_accounts().await?;
            if json {
                let items: Vec<_> = accounts
                    .iter()
                    .map(|a| json!({"id": a.id, "name": a.name, "created_at": a.created_at}))
                    .collect();
                println!("{}", serde_json::Value::Array(items));
            } else {
                for a in accounts {
                    println!(
                        "{}  {}  {}",
                        a.id,
                        a.created_at.format("%Y-%m-%d %H:%M"),
                        a.name
                    );
                }
            }
        }
    }
    store.close().await;
    Ok(())
}

pub async fn api_key(config: &Config, cmd: ApiKeyCommand) -> anyhow::Result<()> {
    let store = runtime::open_store(config).await?;
    runtime::keyring(config, store.as_ref()).await?;
    match cmd {
        ApiKeyCommand::Create(args) => {
            let (id, secret) = create_key(store.as_ref(), args.account, &args.name).await?;
            if args.json {
                println!("{}", json!({"api_key_id": id, "api_key": secret}));
            } else {
                println!("API key {id}: {secret}");
                println!("Store it now: it is shown only once.");
            }
        }
        ApiKeyCommand::List { account, json } => {
            let keys = store.list_api_keys(account).await?;
            if json {
                let items: Vec<_> = keys
                    .iter()
                    .map(|k| json!({"id": k.id, "name": k.name, "prefix": k.prefix, "created_at": k.created_at, "last_used_at": k.last_used_at, "revoked_at": k.revoked_at}))
                    .collect();
                println!("{}", serde_json::Value::Array(items));
            } else {
                for k in keys {
                    let state = if k.revoked_at.is_some() {
                        "revoked"
                    } else {
                        "active"
                    };
                    println!("{}  {}…  {:8}  {}", k.id, k.prefix, state, k.name);
                }
            }
        }
        ApiKeyCommand::Revoke { account, key_id } => {
            if !store.revoke_api_key(account, key_id).await? {
                anyhow::bail!("no active API key {key_id} in account {account}");
            }
            audit_key(store.as_ref(), account, "revoked", key_id, None).await?;
            println!("revoked {key_id}");
        }
    }
    store.close().await;
    Ok(())
}
