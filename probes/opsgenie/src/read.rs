//! The requests: one answer in Opsgenie's envelope, a list read page by page within a
//! bound, and many single reads at a bounded concurrency.

use crate::wire::{Envelope, Identified};
use evident_core::SourceStatus;
use evident_http::{CallError, JsonClient};
use serde::de::DeserializeOwned;
use std::collections::HashSet;
use std::sync::Arc;

/// One answer's `data`, where it was read and the digest of its bytes.
#[derive(Debug)]
pub(crate) struct Read<T> {
    pub data: T,
    /// `GET <path>?<query>`: the request that re-reads it.
    pub locator: String,
    pub sha256: String,
}

/// A list read page by page: the pages read, why the read stopped early (a bound, endless
/// paging), and the failure that ended it, if one did (the pages before it still hold
/// what they held).
#[derive(Debug)]
pub(crate) struct Listing<T> {
    pub pages: Vec<Read<Vec<T>>>,
    pub cut: Option<String>,
    pub error: Option<CallError>,
}

/// `GET path?query` as evidence names it.
pub(crate) fn locator(path: &str, query: &[(&str, String)]) -> String {
    if query.is_empty() {
        return format!("GET {path}");
    }
    let q: Vec<String> = query.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("GET {path}?{}", q.join("&"))
}

/// GETs `path` and returns its `data`. An answer without `data` (Opsgenie's
/// `ErrorResponse` sent with 200) is an error with the server's `message`, never an
/// empty answer.
pub(crate) async fn get_data<T: DeserializeOwned>(
    client: &JsonClient,
    path: &str,
    query: &[(&str, String)],
) -> Result<(Read<T>, Option<crate::wire::Paging>, Option<u64>), CallError> {
    let typed = client.get_typed::<Envelope<T>>(path, query).await?;
    let Envelope {
        data,
        message,
        paging,
        total_count,
    } = typed.value;
    let Some(data) = data else {
        let said = message
            .map(|m| format!(": {}", m.chars().take(200).collect::<String>()))
            .unwrap_or_default();
        return Err(CallError::answer(
            SourceStatus::Error,
            format!("GET {path} answered HTTP 200 without data (an error body){said}"),
        ));
    };
    let read = Read {
        data,
        locator: locator(path, query),
        sha256: typed.sha256,
    };
    Ok((read, paging, total_count))
}

/// Reads the list at `path` page by page (`offset`/`limit`), at most `max_pages` pages.
/// The next page is asked while the answer gives `paging.next`; a page that lists
/// nothing new while still saying there is more (a server that ignores `offset` or pages
/// without end) stops the read, and so does the page bound: both are a `cut`, so what
/// was not read is never taken as absent.
pub(crate) async fn list_paged<T: DeserializeOwned + Identified>(
    client: &JsonClient,
    path: &str,
    query: &[(&str, String)],
    limit: usize,
    max_pages: usize,
) -> Listing<T> {
    let mut out = Listing {
        pages: Vec::new(),
        cut: None,
        error: None,
    };
    let mut seen: HashSet<String> = HashSet::new();
    let mut offset = 0usize;
    let mut distinct = 0usize;
    let mut total: Option<u64> = None;
    loop {
        if out.pages.len() >= max_pages {
            out.cut = Some(format!(
                "stopped at {max_pages} pages of {limit}: the list still said there was more"
            ));
            break;
        }
        let mut q: Vec<(&str, String)> = query.to_vec();
        q.push(("offset", offset.to_string()));
        q.push(("limit", limit.to_string()));
        let (page, paging, count) = match get_data::<Vec<T>>(client, path, &q).await {
            Ok(r) => r,
            Err(e) => {
                out.error = Some(e);
                break;
            }
        };
        total = count.or(total);
        let n = page.data.len();
        let new = page
            .data
            .iter()
            .filter(|item| item.id().is_none_or(|id| seen.insert(id.to_owned())))
            .count();
        distinct += new;
        out.pages.push(page);
        if paging.and_then(|p| p.next).is_none() {
            break;
        }
        if new == 0 {
            out.cut = Some(format!(
                "the page at offset {offset} listed nothing new yet said there was more (endless paging); stopped there"
            ));
            break;
        }
        offset += n;
    }
    if let (None, None, Some(total)) = (&out.cut, &out.error, total)
        && (distinct as u64) < total
    {
        out.cut = Some(format!(
            "{distinct} object(s) read of the {total} the list's totalCount gave"
        ));
    }
    out
}

/// Runs `fetch` for every item of `items`, at most as many at once as `permits` holds
/// (one pool for every fan-out of a read, so teams and schedules together stay within
/// it), and returns the answers in the items' order. A task that ends without an answer (it cannot, short of
/// a panic) is left out; the caller reports every item without an answer.
pub(crate) async fn fan_out<I, R, F, Fut>(
    items: Vec<I>,
    permits: &Arc<tokio::sync::Semaphore>,
    fetch: F,
) -> Vec<(usize, R)>
where
    I: Send + 'static,
    R: Send + 'static,
    F: Fn(I) -> Fut,
    Fut: std::future::Future<Output = R> + Send + 'static,
{
    let mut set = tokio::task::JoinSet::new();
    for (i, item) in items.into_iter().enumerate() {
        let permits = Arc::clone(permits);
        let fut = fetch(item);
        set.spawn(async move {
            let _permit = permits.acquire_owned().await;
            (i, fut.await)
        });
    }
    let mut out = Vec::new();
    while let Some(joined) = set.join_next().await {
        if let Ok(r) = joined {
            out.push(r);
        }
    }
    out.sort_by_key(|(i, _)| *i);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locators_name_the_request() {
        assert_eq!(locator("/v2/teams", &[]), "GET /v2/teams");
        assert_eq!(
            locator(
                "/v2/users",
                &[("offset", "0".into()), ("limit", "100".into())]
            ),
            "GET /v2/users?offset=0&limit=100"
        );
    }

    #[tokio::test]
    async fn fan_out_keeps_the_order_and_the_bound() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let permits = Arc::new(tokio::sync::Semaphore::new(3));
        let out = fan_out((0..20).collect::<Vec<usize>>(), &permits, |i| {
            let running = Arc::clone(&running);
            let peak = Arc::clone(&peak);
            async move {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                running.fetch_sub(1, Ordering::SeqCst);
                i * 2
            }
        })
        .await;
        assert_eq!(out.len(), 20);
        assert!(out.iter().all(|(i, r)| *r == i * 2));
        assert!(peak.load(Ordering::SeqCst) <= 3);
    }
}
