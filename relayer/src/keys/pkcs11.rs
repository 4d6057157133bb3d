//! A PKCS#11 token through the `cryptoki` crate: the module loaded and initialised once per
//! process, one login, and a pool of at most `max_sessions` sessions. A PKCS#11 call blocks,
//! so every one runs on a blocking thread (`spawn_blocking`) holding one of the pool's
//! permits. A token error (session closed, device removed, ...) fails the call that saw it
//! and drops every idle session; the next call finds the token again, opens new sessions
//! and logs in again. The PIN is zeroized on drop and never logged nor shown by `Debug`.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use tokio::sync::Semaphore;
use zeroize::Zeroizing;

pub use super::pkcs11_keys::Pkcs11Signer;
use super::signer::SignerError;

/// What is needed to use a token.
pub struct Pkcs11Settings {
    /// The PKCS#11 module (a shared library).
    pub module: PathBuf,
    /// The token's label.
    pub token_label: String,
    /// The user PIN.
    pub pin: Zeroizing<String>,
    /// Where the PIN came from, for messages: `signer.pin_env (VAR)` or
    /// `signer.pin_file (PATH)`.
    pub pin_setting: String,
    /// Most sessions open at once (at least 1).
    pub max_sessions: usize,
}

impl std::fmt::Debug for Pkcs11Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pkcs11Settings")
            .field("module", &self.module)
            .field("token_label", &self.token_label)
            .field("pin", &"redacted")
            .field("pin_setting", &self.pin_setting)
            .field("max_sessions", &self.max_sessions)
            .finish()
    }
}

/// Idle sessions and the slot they belong to; `generation` grows at every reset, so a
/// session (or a key handle) from before a reset is never reused.
#[derive(Default)]
struct Pool {
    slot: Option<Slot>,
    idle: Vec<Lease>,
    generation: u64,
    /// Sessions checked out now: the module is re-initialised only when none is, as
    /// `C_Finalize` must not run while another thread is in a PKCS#11 call.
    leased: usize,
}

/// A session checked out of the pool. Sessions are opened without close-on-drop: one is
/// closed explicitly, and only while the module is still in the initialisation it was
/// opened in (after a re-initialisation its handle may name another session).
pub(crate) struct Lease {
    pub(crate) session: Session,
    pub(crate) generation: u64,
    epoch: u64,
}

/// A loaded module: its context and how many times it was (re-)initialised.
struct Module {
    path: PathBuf,
    ctx: Pkcs11,
    epoch: Arc<AtomicU64>,
}

static MODULES: OnceLock<Mutex<Vec<Module>>> = OnceLock::new();

fn modules() -> Result<MutexGuard<'static, Vec<Module>>, SignerError> {
    MODULES
        .get_or_init(Mutex::default)
        .lock()
        .map_err(|_| SignerError::Task("the PKCS#11 module registry is poisoned".into()))
}

fn initialize(ctx: &Pkcs11) -> Result<(), CkError> {
    match ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
        Ok(()) | Err(CkError::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => Ok(()),
        Err(e) => Err(e),
    }
}

/// The module at `path`, loaded and initialised once per process (`C_Initialize` may be
/// called only once per module), and its epoch counter.
fn module(path: &Path) -> Result<(Pkcs11, Arc<AtomicU64>), SignerError> {
    let err = |detail: String| SignerError::Module {
        module: path.display().to_string(),
        detail,
    };
    let mut loaded = modules()?;
    if let Some(m) = loaded.iter().find(|m| m.path == path) {
        return Ok((m.ctx.clone(), Arc::clone(&m.epoch)));
    }
    if !path.is_file() {
        return Err(err("the file does not exist".into()));
    }
    let ctx = Pkcs11::new(path).map_err(|e| err(format!("it cannot be loaded ({e})")))?;
    initialize(&ctx).map_err(|e| err(format!("C_Initialize failed ({e})")))?;
    let epoch = Arc::new(AtomicU64::new(0));
    loaded.push(Module {
        path: path.to_path_buf(),
        ctx: ctx.clone(),
        epoch: Arc::clone(&epoch),
    });
    Ok((ctx, epoch))
}

/// One token of one PKCS#11 module, shared by every key that lives in it.
pub struct Pkcs11Token {
    ctx: Pkcs11,
    epoch: Arc<AtomicU64>,
    settings: Pkcs11Settings,
    pool: Mutex<Pool>,
    permits: Arc<Semaphore>,
    /// Set once the token refused the PIN: it is never offered again (tokens lock the
    /// user after a few wrong PINs).
    pin_refused: AtomicBool,
}

impl std::fmt::Debug for Pkcs11Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pkcs11Token")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Drop for Pkcs11Token {
    fn drop(&mut self) {
        if let Ok(pool) = self.pool.get_mut() {
            for lease in std::mem::take(&mut pool.idle) {
                close(&self.epoch, lease);
            }
        }
    }
}

/// Closes `lease`'s session if the module is still in the initialisation it was opened in.
fn close(epoch: &AtomicU64, lease: Lease) {
    if epoch.load(Ordering::SeqCst) == lease.epoch {
        let _ = lease.session.close();
    }
}

/// `C_Sign returned ObjectHandleInvalid`: the function and the return value's name.
fn describe(e: &CkError) -> String {
    match e {
        CkError::Pkcs11(rv, function) => format!("C_{function:?} returned {rv:?}"),
        other => other.to_string(),
    }
}

/// Whether `e` comes from a PIN the token refused.
fn is_pin_error(e: &CkError) -> bool {
    matches!(
        e,
        CkError::Pkcs11(
            RvError::PinIncorrect
                | RvError::PinInvalid
                | RvError::PinLenRange
                | RvError::PinExpired
                | RvError::PinLocked,
            _
        )
    )
}

impl Pkcs11Token {
    /// Loads the module, finds the token and logs in once (which checks the PIN).
    /// Blocking: call it from a blocking thread or use [`Pkcs11Token::open`].
    pub fn open_blocking(settings: Pkcs11Settings) -> Result<Arc<Self>, SignerError> {
        let (ctx, epoch) = module(&settings.module)?;
        let permits = Arc::new(Semaphore::new(settings.max_sessions.max(1)));
        let token = Arc::new(Self {
            ctx,
            epoch,
            settings,
            pool: Mutex::new(Pool::default()),
            permits,
            pin_refused: AtomicBool::new(false),
        });
        let lease = token.checkout()?;
        token.checkin(lease, true);
        Ok(token)
    }

    /// [`Pkcs11Token::open_blocking`] on a blocking thread.
    pub async fn open(settings: Pkcs11Settings) -> Result<Arc<Self>, SignerError> {
        tokio::task::spawn_blocking(move || Self::open_blocking(settings))
            .await
            .map_err(|e| SignerError::Task(e.to_string()))?
    }

    /// The token's label.
    pub fn label(&self) -> &str {
        &self.settings.token_label
    }

    /// The module's path.
    pub fn module_path(&self) -> &Path {
        &self.settings.module
    }

    fn pool(&self) -> Result<MutexGuard<'_, Pool>, SignerError> {
        self.pool
            .lock()
            .map_err(|_| SignerError::Task("the session pool is poisoned".into()))
    }

    /// The error of operation `op` on this token.
    pub(crate) fn token_error(&self, op: &str, e: CkError) -> SignerError {
        SignerError::Token {
            token: self.settings.token_label.clone(),
            op: op.into(),
            detail: describe(&e),
        }
    }

    /// The slot holding the token labelled `token_label`.
    fn find_slot(&self) -> Result<Slot, SignerError> {
        let slots = self
            .ctx
            .get_slots_with_token()
            .map_err(|e| self.token_error("C_GetSlotList", e))?;
        let mut found = Vec::new();
        for slot in slots {
            let Ok(info) = self.ctx.get_token_info(slot) else {
                continue;
            };
            if info.label().trim_end() == self.settings.token_label {
                return Ok(slot);
            }
            found.push(format!("`{}`", info.label().trim_end()));
        }
        Err(SignerError::TokenNotFound {
            token: self.settings.token_label.clone(),
            module: self.settings.module.display().to_string(),
            found: if found.is_empty() {
                "none".into()
            } else {
                found.join(", ")
            },
        })
    }

    /// An idle session, or a new one (token found, session opened, user logged in).
    /// After a reset, a token that cannot be reached is looked for once more after the
    /// module is re-initialised: a module (SoftHSM2 among them) may see a token that
    /// came back only after `C_Finalize` and `C_Initialize`. Blocking.
    pub(crate) fn checkout(&self) -> Result<Lease, SignerError> {
        let mut pool = self.pool()?;
        if let Some(lease) = pool.idle.pop() {
            pool.leased += 1;
            return Ok(lease);
        }
        let retry = pool.slot.is_none() && pool.leased == 0;
        let epoch = self.epoch.load(Ordering::SeqCst);
        let lease = match self.connect(&mut pool) {
            Err(SignerError::Token { .. } | SignerError::TokenNotFound { .. }) if retry => {
                self.reinitialize(epoch)?;
                pool.generation = pool.generation.wrapping_add(1);
                self.connect(&mut pool)
            }
            other => other,
        }?;
        pool.leased += 1;
        Ok(lease)
    }

    /// Opens a session on the token's slot (found when not known) and logs in.
    fn connect(&self, pool: &mut Pool) -> Result<Lease, SignerError> {
        let slot = match pool.slot {
            Some(slot) => slot,
            None => self.find_slot()?,
        };
        let epoch = self.epoch.load(Ordering::SeqCst);
        let session = self
            .ctx
            .open_rw_session_no_drop(slot)
            .map_err(|e| self.token_error("C_OpenSession", e))?;
        let lease = Lease {
            session,
            generation: pool.generation,
            epoch,
        };
        if let Err(e) = self.login(&lease.session) {
            close(&self.epoch, lease);
            return Err(e);
        }
        pool.slot = Some(slot);
        Ok(lease)
    }

    /// `C_Finalize` and `C_Initialize` of the module, unless another caller did it since
    /// `seen` was read. Every session of the module ends; their holders see errors and
    /// reconnect.
    fn reinitialize(&self, seen: u64) -> Result<(), SignerError> {
        let _registry = modules()?;
        if self.epoch.load(Ordering::SeqCst) != seen {
            return Ok(());
        }
        let _ = self.ctx.clone().finalize();
        self.epoch.fetch_add(1, Ordering::SeqCst);
        initialize(&self.ctx).map_err(|e| self.token_error("reconnecting (C_Initialize)", e))
    }

    /// Logs the user in. The login is the token's, shared by every session of the
    /// process: a session opened while another is logged in is logged in already.
    /// A PIN the token refused is not offered again: the error is repeated instead.
    fn login(&self, session: &Session) -> Result<(), SignerError> {
        let refused = |detail: String| SignerError::Pin {
            token: self.settings.token_label.clone(),
            setting: self.settings.pin_setting.clone(),
            detail,
        };
        if self.pin_refused.load(Ordering::SeqCst) {
            return Err(refused(
                "the token refused the PIN before, so it is not offered again (the token would lock the user); restart with the right PIN".into(),
            ));
        }
        let pin = AuthPin::new(self.settings.pin.as_str().into());
        match session.login(UserType::User, Some(&pin)) {
            Ok(()) | Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => Ok(()),
            Err(e) if is_pin_error(&e) => {
                self.pin_refused.store(true, Ordering::SeqCst);
                Err(refused(format!(
                    "the token refused the PIN ({})",
                    describe(&e)
                )))
            }
            Err(e) => Err(self.token_error("C_Login", e)),
        }
    }

    /// Returns a checked-out session: to the pool when `keep` and no reset happened
    /// since, else it is closed.
    pub(crate) fn checkin(&self, lease: Lease, keep: bool) {
        let Ok(mut pool) = self.pool() else {
            return close(&self.epoch, lease);
        };
        pool.leased = pool.leased.saturating_sub(1);
        if keep && pool.generation == lease.generation {
            pool.idle.push(lease);
        } else {
            close(&self.epoch, lease);
        }
    }

    /// Forgets the slot and closes every idle session: the next checkout finds the token
    /// again and logs in again.
    pub(crate) fn reset(&self) {
        let idle = match self.pool() {
            Ok(mut pool) => {
                pool.slot = None;
                pool.generation = pool.generation.wrapping_add(1);
                std::mem::take(&mut pool.idle)
            }
            Err(_) => Vec::new(),
        };
        for lease in idle {
            close(&self.epoch, lease);
        }
    }

    /// Runs `f` with a pooled session on a blocking thread, holding one of the pool's
    /// permits. When the token fails, the session is closed and the pool reset, so a
    /// token that went away costs this call only.
    pub(crate) async fn run<T, F>(self: &Arc<Self>, f: F) -> Result<T, SignerError>
    where
        T: Send + 'static,
        F: FnOnce(&Self, &Lease) -> Result<T, SignerError> + Send + 'static,
    {
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .map_err(|e| SignerError::Task(e.to_string()))?;
        let token = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let result = token.checkout().and_then(|lease| {
                let out = f(&token, &lease);
                token.checkin(lease, out.is_ok());
                out
            });
            if matches!(result, Err(SignerError::Token { .. })) {
                token.reset();
            }
            result
        })
        .await
        .map_err(|e| SignerError::Task(e.to_string()))?
    }
}
