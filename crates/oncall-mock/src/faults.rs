//! Faults the mock injects, so a test can check what the probe does when the on-call tool
//! is busy, broken or hostile. Settable at start and at runtime through the handle.

/// Everything that makes the mock misbehave; the default is a healthy server.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Latency added to every answer, in milliseconds.
    pub latency_ms: u64,
    /// Per-route faults, first match wins.
    pub routes: Vec<RouteFault>,
    /// Reflect the caller's credential into names and error messages, so the scan's
    /// redaction can be tested.
    pub echo_canary: bool,
}

/// A fault on the requests of one route (as the API names routes, `services`,
/// `schedules.get`, `incidents`), or on every route with `"*"`.
#[derive(Debug, Clone)]
pub struct RouteFault {
    /// The route name, or `*`.
    pub route: String,
    /// What happens.
    pub fault: Fault,
    /// Requests of the route that pass before the fault fires.
    pub after: u64,
    /// How many times it fires; `None` is every time.
    pub times: Option<u64>,
}

impl RouteFault {
    /// `fault` on every request of `route`.
    pub fn new(route: impl Into<String>, fault: Fault) -> Self {
        Self {
            route: route.into(),
            fault,
            after: 0,
            times: None,
        }
    }

    /// Fires only `times` times.
    pub fn times(mut self, times: u64) -> Self {
        self.times = Some(times);
        self
    }

    /// Lets `after` requests pass first.
    pub fn after(mut self, after: u64) -> Self {
        self.after = after;
        self
    }
}

/// What a faulty answer is. The server renders the generic ones; the API renders the
/// ones whose body is the vendor's own (`WrongShape`, `ErrorBody200`, `EndlessPages`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// This HTTP status, with the vendor's error body (401, 403, 404, 500, 502...).
    Status(u16),
    /// 429 with `Retry-After` (and the vendor's rate-limit headers).
    RateLimited {
        /// Seconds the server asks to wait.
        retry_after_secs: u64,
    },
    /// No answer for this long (a timeout for any client bound below it).
    Hang {
        /// Milliseconds.
        ms: u64,
    },
    /// 200 with HTML, not JSON.
    NotJson,
    /// 200 with JSON cut short (Content-Length honest about the cut body).
    Truncated,
    /// 200 with a body of this many bytes of JSON padding.
    Huge {
        /// Bytes.
        bytes: usize,
    },
    /// 200 with JSON of the wrong shape (the list field an object, the object a string).
    WrongShape,
    /// 200 with the vendor's error body.
    ErrorBody200,
    /// Paging that never ends: every page says there is another.
    EndlessPages,
}
