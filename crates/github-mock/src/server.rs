//! The running mock: two listeners on 127.0.0.1 (the API and the git server), the shared state
//! behind them, and the handle a test holds to read counters and flip faults mid-scan.

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::body::Body;
use crate::faults::Faults;
use crate::model::{Model, Org};
use crate::stats::Stats;

/// What the listeners share.
pub(crate) struct Shared {
    /// The mutable state.
    pub state: Mutex<State>,
    /// `http://127.0.0.1:port` of the API.
    pub api_base: String,
    /// `http://127.0.0.1:port` of the git server.
    pub git_base: String,
    /// When the rate-limit window resets (epoch seconds), an hour after start.
    pub reset_epoch: u64,
}

/// The mutable state: the model, counters, quota use, fault bookkeeping.
#[derive(Default)]
pub(crate) struct State {
    /// The estate (faults included).
    pub model: Model,
    /// Counters.
    pub stats: Stats,
    /// REST requests counted per token.
    pub core_used: HashMap<String, u64>,
    /// GraphQL points used per token.
    pub graphql_used: HashMap<String, u64>,
    /// Requests seen by the secondary limit.
    pub secondary_seen: u64,
    /// Per route fault: matching requests seen and times fired.
    pub fault_seen: Vec<(u64, u64)>,
    /// Request sequence (for `x-github-request-id`).
    pub seq: u64,
}

impl Shared {
    /// Locks the state; a panic in another request does not stop the mock (the state is
    /// counters and a model, still usable).
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A running mock GitHub. Dropping it stops both servers.
pub struct MockGithub {
    shared: Arc<Shared>,
    tasks: Vec<JoinHandle<()>>,
}

/// Builds a model and starts a mock on it.
#[derive(Debug, Default)]
pub struct Builder {
    model: Model,
}

impl Builder {
    /// Adds an organisation.
    pub fn org(mut self, org: Org) -> Self {
        self.model.orgs.push(org);
        self
    }

    /// Adds a user account with repositories.
    pub fn user(mut self, user: Org) -> Self {
        self.model.users.push(user);
        self
    }

    /// Adds an accepted token.
    pub fn token(mut self, token: impl Into<String>, admin: bool) -> Self {
        self.model = self.model.with_token(token, admin);
        self
    }

    /// Installs a GitHub App (see [`crate::AppSpec`]).
    pub fn app(mut self, app: crate::AppSpec) -> Self {
        self.model.app = Some(app);
        self
    }

    /// Sets the faults.
    pub fn faults(mut self, faults: Faults) -> Self {
        self.model.faults = faults;
        self
    }

    /// Requires a known token as basic-auth password on the git server.
    pub fn git_auth(mut self, on: bool) -> Self {
        self.model.git_auth = on;
        self
    }

    /// Starts the mock on the model built so far.
    pub async fn start(self) -> io::Result<MockGithub> {
        MockGithub::start(self.model).await
    }
}

impl MockGithub {
    /// A builder, for a model made in a few calls.
    pub fn builder() -> Builder {
        Builder::default()
    }

    /// Starts the API and git servers on 127.0.0.1 (ports chosen by the system) for `model`.
    pub async fn start(mut model: Model) -> io::Result<MockGithub> {
        crate::names::assign_ids(&mut model);
        let api = TcpListener::bind("127.0.0.1:0").await?;
        let git = TcpListener::bind("127.0.0.1:0").await?;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                model,
                ..State::default()
            }),
            api_base: format!("http://{}", api.local_addr()?),
            git_base: format!("http://{}", git.local_addr()?),
            reset_epoch: now + 3600,
        });
        let tasks = vec![
            tokio::spawn(accept_loop(api, shared.clone(), Kind::Api)),
            tokio::spawn(accept_loop(git, shared.clone(), Kind::Git)),
        ];
        Ok(MockGithub { shared, tasks })
    }

    /// The API base URL (`http://127.0.0.1:port`, no trailing slash): REST routes hang off it,
    /// GraphQL is `{url}/graphql`.
    pub fn url(&self) -> &str {
        &self.shared.api_base
    }

    /// The GraphQL endpoint.
    pub fn graphql_url(&self) -> String {
        format!("{}/graphql", self.shared.api_base)
    }

    /// The git server's base URL; a repository clones from `{git_url}/{owner}/{repo}.git`.
    pub fn git_url(&self) -> &str {
        &self.shared.git_base
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> Stats {
        self.shared.lock().stats.clone()
    }

    /// Zeroes the counters (quota use is kept; see `reset_quota`).
    pub fn reset_stats(&self) {
        self.shared.lock().stats = Stats::default();
    }

    /// Gives every token its whole quota back, as a new rate-limit window would.
    pub fn reset_quota(&self) {
        let mut s = self.shared.lock();
        s.core_used.clear();
        s.graphql_used.clear();
    }

    /// Replaces the faults (takes effect on the next request).
    pub fn set_faults(&self, faults: Faults) {
        let mut s = self.shared.lock();
        s.model.faults = faults;
        s.fault_seen.clear();
        s.secondary_seen = 0;
    }

    /// Changes the faults in place (takes effect on the next request).
    pub fn update_faults(&self, change: impl FnOnce(&mut Faults)) {
        let mut s = self.shared.lock();
        change(&mut s.model.faults);
        s.fault_seen.clear();
        s.secondary_seen = 0;
    }

    /// Changes the model in place (new repositories get ids).
    pub fn update_model(&self, change: impl FnOnce(&mut Model)) {
        let mut s = self.shared.lock();
        change(&mut s.model);
        crate::names::assign_ids(&mut s.model);
    }

    /// A copy of the model as served (ids assigned).
    pub fn model(&self) -> Model {
        self.shared.lock().model.clone()
    }
}

impl Drop for MockGithub {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

#[derive(Clone, Copy)]
enum Kind {
    Api,
    Git,
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>, kind: Kind) {
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(x) => x,
            Err(_) => {
                // Out of descriptors or similar: back off instead of spinning.
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let shared = shared.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req: Request<Incoming>| {
                let shared = shared.clone();
                async move { serve(kind, shared, peer, req).await }
            });
            // A connection error (client gone, injected reset) ends that connection only.
            let _ = http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn serve(
    kind: Kind,
    shared: Arc<Shared>,
    peer: SocketAddr,
    req: Request<Incoming>,
) -> io::Result<Response<Body>> {
    match kind {
        Kind::Api => crate::api::handle(shared, req).await,
        Kind::Git => crate::git::handle(shared, peer, req).await,
    }
}
