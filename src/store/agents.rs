//! Agents and their login sessions. Passwords are kept as argon2id hashes; a session token is
//! 32 random bytes given to the browser once, and only its SHA-256 is stored.

use crate::store::{Store, random_hex, sql, with_pool};
use argon2::password_hash::SaltString;
use argon2::password_hash::rand_core::OsRng;
use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};
use sha2::{Digest, Sha256};

/// How long a login lasts, in seconds.
pub const SESSION_SECS: i64 = 12 * 3600;
pub const MIN_PASSWORD_CHARS: usize = 10;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Agent {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: String,
}

/// What someone who signs in to the console may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Answers conversations.
    Agent,
    /// Answers conversations, sees every site's measures and edits knowledge bases.
    Admin,
    /// Writes knowledge-base articles and nothing else: never offered a conversation.
    Editor,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Agent => "agent",
            Role::Admin => "admin",
            Role::Editor => "editor",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error("{0:?} is not an email address")]
    BadEmail(String),
    #[error("the name must have 1 to 80 characters")]
    BadName,
    #[error("the name may not contain invisible or direction-changing characters")]
    DeceptiveName,
    #[error("the password must have at least {MIN_PASSWORD_CHARS} characters")]
    ShortPassword,
    #[error("an agent with email {0} already exists")]
    Exists(String),
    #[error("no agent signs in with {0}")]
    Unknown(String),
    #[error("cannot hash the password: {0}")]
    Hash(String),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// The id of the agent who signs in with `email`, if there is one.
pub async fn id_by_email(store: &Store, email: &str) -> Result<Option<String>, sqlx::Error> {
    with_pool!(store, |pool, PG| sqlx::query_scalar(
        "SELECT id FROM agents WHERE email = $1"
    )
    .bind(email.trim().to_ascii_lowercase())
    .fetch_optional(pool)
    .await)
}

/// The name of agent `id`, removed or not, if there is one.
pub async fn name_of(store: &Store, id: &str) -> Result<Option<String>, sqlx::Error> {
    with_pool!(store, |pool, PG| sqlx::query_scalar(
        "SELECT name FROM agents WHERE id = $1"
    )
    .bind(id)
    .fetch_optional(pool)
    .await)
}

/// How many open conversations the agent takes at once (1 to 100).
pub async fn set_capacity(store: &Store, agent: &str, capacity: u32) -> Result<(), sqlx::Error> {
    with_pool!(store, |pool, PG| sqlx::query(
        "UPDATE agents SET capacity = $1 WHERE id = $2"
    )
    .bind(i64::from(capacity))
    .bind(agent)
    .execute(pool)
    .await
    .map(drop))?;
    Ok(())
}

/// Adds someone with `role` who signs in with `email` and `password`.
pub async fn add(
    store: &Store,
    email: &str,
    name: &str,
    password: &str,
    role: Role,
) -> Result<Agent, AgentError> {
    let email = email.trim().to_ascii_lowercase();
    let valid_email = email
        .split_once('@')
        .is_some_and(|(user, domain)| !user.is_empty() && domain.contains('.'))
        && !email.chars().any(char::is_whitespace);
    if !valid_email {
        return Err(AgentError::BadEmail(email));
    }
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 80 {
        return Err(AgentError::BadName);
    }
    if name.chars().any(crate::live::names::is_deceptive) {
        return Err(AgentError::DeceptiveName);
    }
    let hash = hash_password(password).await?;
    let inserted = with_pool!(store, |pool, PG| sqlx::query_as::<_, Agent>(
        "INSERT INTO agents (id, email, name, password_hash, role)
         VALUES ($1, $2, $3, $4, $5)
         RETURNING id, email, name, role",
    )
    .bind(random_hex(12))
    .bind(&email)
    .bind(name)
    .bind(hash)
    .bind(role.as_str())
    .fetch_one(pool)
    .await);
    match inserted {
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Err(AgentError::Exists(email)),
        other => Ok(other?),
    }
}

async fn hash_password(password: &str) -> Result<String, AgentError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(AgentError::ShortPassword);
    }
    let password = password.to_owned();
    on_hashing_threads(move || {
        Argon2::default()
            .hash_password(password.as_bytes(), &SaltString::generate(&mut OsRng))
            .map(|hash| hash.to_string())
            .map_err(|e| AgentError::Hash(e.to_string()))
    })
    .await
}

/// The active agent who signs in with `email`.
async fn by_email(store: &Store, email: &str) -> Result<Agent, AgentError> {
    let email = email.trim().to_ascii_lowercase();
    with_pool!(store, |pool, PG| sqlx::query_as(
        "SELECT id, email, name, role FROM agents WHERE email = $1 AND removed_at IS NULL",
    )
    .bind(&email)
    .fetch_optional(pool)
    .await)?
    .ok_or(AgentError::Unknown(email))
}

/// Gives the agent a new password and ends every session they have (their open consoles
/// notice within a second and sign out).
pub async fn set_password(store: &Store, email: &str, password: &str) -> Result<Agent, AgentError> {
    let agent = by_email(store, email).await?;
    let hash = hash_password(password).await?;
    change_and_sign_out(store, &agent, Some(AgentChange::Password(hash))).await?;
    Ok(agent)
}

/// Ends every session of the agent; returns how many there were.
pub async fn revoke_sessions(store: &Store, email: &str) -> Result<(Agent, u64), AgentError> {
    let agent = by_email(store, email).await?;
    let ended = change_and_sign_out(store, &agent, None).await?;
    Ok((agent, ended))
}

/// Removes an agent who leaves: they can no longer sign in, their sessions end, and the
/// server gives whatever they still had to someone else. Their name stays on what they did.
pub async fn remove(store: &Store, email: &str) -> Result<Agent, AgentError> {
    let agent = by_email(store, email).await?;
    change_and_sign_out(store, &agent, Some(AgentChange::Remove)).await?;
    Ok(agent)
}

/// What changes about an agent as all their sessions end.
enum AgentChange {
    /// A new password hash.
    Password(String),
    /// They leave: removed now.
    Remove,
}

/// Applies `change`, if any, and ends every session of the agent, in one transaction; returns
/// how many sessions ended.
async fn change_and_sign_out(
    store: &Store,
    agent: &Agent,
    change: Option<AgentChange>,
) -> Result<u64, sqlx::Error> {
    with_pool!(store, |pool, PG| {
        let mut tx = pool.begin().await?;
        match &change {
            Some(AgentChange::Password(hash)) => {
                sqlx::query("UPDATE agents SET password_hash = $1 WHERE id = $2")
                    .bind(hash)
                    .bind(&agent.id)
                    .execute(&mut *tx)
                    .await?;
            }
            Some(AgentChange::Remove) => {
                sqlx::query(sql(
                    PG,
                    "UPDATE agents SET removed_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
                     WHERE id = $1",
                    "UPDATE agents SET removed_at = ito_now() WHERE id = $1",
                ))
                .bind(&agent.id)
                .execute(&mut *tx)
                .await?;
            }
            None => {}
        }
        let ended = sqlx::query("DELETE FROM sessions WHERE agent_id = $1")
            .bind(&agent.id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(ended)
    })
}

/// Deletes sessions that expired before `now`; returns how many.
pub async fn purge_expired_sessions(store: &Store, now: i64) -> Result<u64, sqlx::Error> {
    Ok(with_pool!(store, |pool, PG| sqlx::query(
        "DELETE FROM sessions WHERE expires_at <= $1"
    )
    .bind(now)
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))?)
}

/// The agent whose email and password these are. Unknown emails take as long as wrong
/// passwords, so the answer does not tell which emails exist.
pub async fn check_login(
    store: &Store,
    email: &str,
    password: &str,
) -> Result<Option<Agent>, sqlx::Error> {
    let row: Option<(String, String, String, String, String)> = with_pool!(store, |pool, PG| {
        sqlx::query_as("SELECT id, email, name, role, password_hash FROM agents WHERE email = $1 AND removed_at IS NULL")
            .bind(email.trim().to_ascii_lowercase())
            .fetch_optional(pool)
            .await
    })?;
    let (agent, hash) = match row {
        Some((id, email, name, role, hash)) => (
            Some(Agent {
                id,
                email,
                name,
                role,
            }),
            hash,
        ),
        None => (None, decoy_hash().to_owned()),
    };
    let password = password.to_owned();
    let matches = on_hashing_threads(move || {
        PasswordHash::new(&hash).is_ok_and(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
    })
    .await;
    Ok(agent.filter(|_| matches))
}

/// Password hashes computed at once, at most: argon2 takes a core for tens of milliseconds and
/// much memory, so a burst of sign-ins waits here instead of taking every core.
const HASHING_AT_ONCE: usize = 2;
static HASHING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(HASHING_AT_ONCE);

/// Runs `hash` on tokio's blocking threads, [`HASHING_AT_ONCE`] at most: never on the async
/// workers, which must keep serving chats while someone signs in.
async fn on_hashing_threads<T: Send + 'static>(hash: impl FnOnce() -> T + Send + 'static) -> T {
    let _turn = HASHING
        .acquire()
        .await
        .expect("the semaphore is never closed");
    tokio::task::spawn_blocking(hash)
        .await
        .expect("hashing does not panic")
}

/// A real hash of a password nobody has, checked when the email is unknown.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| {
        Argon2::default()
            .hash_password(
                b"no agent has this password",
                &SaltString::generate(&mut OsRng),
            )
            .expect("hashing a constant works")
            .to_string()
    })
}

fn token_hash(token: &str) -> String {
    format!("{:x}", Sha256::digest(token.as_bytes()))
}

/// Starts a session; the returned token goes to the browser and nowhere else.
pub async fn start_session(store: &Store, agent: &Agent, now: i64) -> Result<String, sqlx::Error> {
    let token = random_hex(32);
    with_pool!(store, |pool, PG| sqlx::query(
        "INSERT INTO sessions (token_hash, agent_id, expires_at) VALUES ($1, $2, $3)"
    )
    .bind(token_hash(&token))
    .bind(&agent.id)
    .bind(now + SESSION_SECS)
    .execute(pool)
    .await
    .map(drop))?;
    Ok(token)
}

/// The agent a session token belongs to, while it has not expired.
pub async fn session_agent(
    store: &Store,
    token: &str,
    now: i64,
) -> Result<Option<Agent>, sqlx::Error> {
    with_pool!(store, |pool, PG| sqlx::query_as(
        "SELECT a.id, a.email, a.name, a.role FROM sessions s JOIN agents a ON a.id = s.agent_id
         WHERE s.token_hash = $1 AND s.expires_at > $2 AND a.removed_at IS NULL",
    )
    .bind(token_hash(token))
    .bind(now)
    .fetch_optional(pool)
    .await)
}

pub async fn end_session(store: &Store, token: &str) -> Result<(), sqlx::Error> {
    with_pool!(store, |pool, PG| sqlx::query(
        "DELETE FROM sessions WHERE token_hash = $1"
    )
    .bind(token_hash(token))
    .execute(pool)
    .await
    .map(drop))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn agents_sign_in_with_their_password_and_sessions_expire() {
        let (_dir, pool) = crate::store::testing::fresh().await.unwrap();
        let ann = add(
            &pool,
            "Ann@Shop.example",
            "Ann",
            "correct horse",
            Role::Agent,
        )
        .await
        .unwrap();
        assert_eq!(
            (ann.email.as_str(), ann.role.as_str()),
            ("ann@shop.example", "agent")
        );
        let hash: String = with_pool!(&pool, |p, _PG| sqlx::query_scalar(
            "SELECT password_hash FROM agents"
        )
        .fetch_one(p)
        .await)
        .unwrap();
        assert!(hash.starts_with("$argon2id$") && !hash.contains("correct horse"));

        assert_eq!(
            check_login(&pool, "ann@shop.example", "correct horse")
                .await
                .unwrap(),
            Some(ann.clone())
        );
        assert_eq!(
            check_login(&pool, "ann@shop.example", "wrong horse!")
                .await
                .unwrap(),
            None
        );
        assert_eq!(
            check_login(&pool, "nobody@shop.example", "correct horse")
                .await
                .unwrap(),
            None
        );

        let token = start_session(&pool, &ann, 1_000).await.unwrap();
        assert_eq!(
            session_agent(&pool, &token, 1_000).await.unwrap(),
            Some(ann.clone())
        );
        assert_eq!(
            session_agent(&pool, &token, 1_000 + SESSION_SECS)
                .await
                .unwrap(),
            None,
            "expired"
        );
        assert_eq!(session_agent(&pool, "forged", 1_000).await.unwrap(), None);
        end_session(&pool, &token).await.unwrap();
        assert_eq!(
            session_agent(&pool, &token, 1_000).await.unwrap(),
            None,
            "signed out"
        );
    }

    /// The closure waits for word from the async side, which can only send it if the
    /// closure is not running on the runtime's one worker thread.
    #[tokio::test(flavor = "current_thread")]
    async fn hashing_runs_off_the_async_worker_and_only_so_many_at_once() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::{Arc, mpsc};
        let (word, heard) = mpsc::channel::<()>();
        let hashing = tokio::spawn(on_hashing_threads(move || {
            heard
                .recv_timeout(std::time::Duration::from_secs(10))
                .is_ok()
        }));
        tokio::task::yield_now().await;
        word.send(()).unwrap();
        assert!(
            hashing.await.unwrap(),
            "the async side could not run meanwhile"
        );

        let (running, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let hashes: Vec<_> = (0..6)
            .map(|_| {
                let (running, most) = (running.clone(), most.clone());
                tokio::spawn(on_hashing_threads(move || {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(std::time::Duration::from_millis(20));
                    running.fetch_sub(1, Ordering::SeqCst);
                }))
            })
            .collect();
        for hash in hashes {
            hash.await.unwrap();
        }
        assert!(most.load(Ordering::SeqCst) <= HASHING_AT_ONCE);
    }

    #[tokio::test]
    async fn bad_agents_are_explained() {
        let (_dir, pool) = crate::store::testing::fresh().await.unwrap();
        add(
            &pool,
            "ann@shop.example",
            "Ann",
            "correct horse",
            Role::Admin,
        )
        .await
        .unwrap();
        for (email, name, password, expected) in [
            ("ann@shop.example", "Ann", "correct horse", "already exists"),
            (
                "not-an-email",
                "X",
                "correct horse",
                "is not an email address",
            ),
            ("x@shop.example", " ", "correct horse", "1 to 80 characters"),
            (
                "x@shop.example",
                "Ann\u{202E}nimda",
                "correct horse",
                "invisible or direction-changing",
            ),
            ("x@shop.example", "X", "short", "at least 10 characters"),
        ] {
            let err = add(&pool, email, name, password, Role::Agent)
                .await
                .unwrap_err()
                .to_string();
            assert!(err.contains(expected), "{email}: {err}");
        }
    }
}
