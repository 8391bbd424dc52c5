//! Classic (offset) paging of PagerDuty lists, bounded: at most `max_pages` pages, never
//! past PagerDuty's offset ceiling, and stopped (and said so) when a page claims `more`
//! yet lists nothing new, so a server that pages without end costs a bounded number of
//! requests and leaves the part marked partial rather than looking complete.

use crate::wire::{HasId, PageOf};
use evident_core::SourceStatus;
use evident_http::{CallError, JsonClient};
use std::collections::HashSet;
use std::sync::Arc;

/// Classic pagination answers 400 past `offset + limit` of 10,000.
pub(crate) const MAX_OFFSET: usize = 10_000;

/// Where a list item was read: the GET that re-reads its page, and the page's digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PageRef {
    /// `GET /services?include[]=integrations&limit=100&offset=0`.
    pub locator: String,
    /// Hex sha256 of the page's raw bytes.
    pub sha256: String,
}

/// What a list read gave: the items (each with its page), why it stopped early if it
/// did, and the failure that ended it if one did (items read before it are kept).
pub(crate) struct Listed<T> {
    pub items: Vec<(T, Arc<PageRef>)>,
    /// Set when a bound or an endless `more` stopped the read.
    pub partial: Option<String>,
    /// Set when a page could not be read.
    pub error: Option<CallError>,
}

/// Bounds of a list read.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Paging {
    pub max_pages: usize,
    pub page_size: usize,
}

/// `GET path?query` as a locator (values unencoded, for people).
pub(crate) fn locator(path: &str, query: &[(&str, String)]) -> String {
    if query.is_empty() {
        return format!("GET {path}");
    }
    let q: Vec<String> = query.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("GET {path}?{}", q.join("&"))
}

/// Reads every page of `path` (with `query`), deduplicating by id.
pub(crate) async fn list<P: PageOf>(
    client: &JsonClient,
    path: &str,
    query: &[(&'static str, String)],
    paging: Paging,
) -> Listed<P::Item> {
    let limit = paging.page_size.clamp(1, 100);
    let mut out = Listed {
        items: Vec::new(),
        partial: None,
        error: None,
    };
    let mut seen: HashSet<String> = HashSet::new();
    let mut offset = 0;
    let mut pages = 0;
    loop {
        if offset + limit > MAX_OFFSET {
            out.partial = Some(format!(
                "{} stopped at offset {offset}: classic pagination ends at {MAX_OFFSET}",
                locator(path, query)
            ));
            break;
        }
        let mut q = query.to_vec();
        q.push(("limit", limit.to_string()));
        q.push(("offset", offset.to_string()));
        let page = match client.get_typed::<P>(path, &q).await {
            Ok(p) => p,
            Err(e) => {
                out.error = Some(e);
                break;
            }
        };
        let (items, more, error) = page.value.parts();
        if let Some(message) = error {
            out.error = Some(CallError::answer(
                SourceStatus::Error,
                format!("GET {path} answered HTTP 200 with an error body: {message}"),
            ));
            break;
        }
        let Some(items) = items else {
            out.error = Some(CallError::Shape {
                path: path.to_owned(),
                reason: format!("no `{}` list in the answer", P::FIELD),
            });
            break;
        };
        let here = Arc::new(PageRef {
            locator: locator(path, &q),
            sha256: page.sha256,
        });
        let n = items.len();
        let mut new = 0;
        for item in items {
            if seen.insert(item.id().to_owned()) {
                new += 1;
                out.items.push((item, Arc::clone(&here)));
            }
        }
        pages += 1;
        if !more {
            break;
        }
        if new == 0 {
            out.partial = Some(format!(
                "{} listed nothing new at offset {offset} yet said more: the paging does not end; stopped there",
                locator(path, query)
            ));
            break;
        }
        if pages >= paging.max_pages {
            out.partial = Some(format!(
                "{} stopped at {pages} pages (the bound); the list said there was more",
                locator(path, query)
            ));
            break;
        }
        offset += n;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locators_are_the_get_that_rereads_the_page() {
        assert_eq!(locator("/users", &[]), "GET /users");
        let q = [
            ("include[]", "integrations".to_owned()),
            ("offset", "0".to_owned()),
        ];
        assert_eq!(
            locator("/services", &q),
            "GET /services?include[]=integrations&offset=0"
        );
    }
}
