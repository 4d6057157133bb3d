//! Walking paginated gRPC list queries to the end, and splitting long sequence lists.
//!
//! A list query (`PageRequest` → items + `PageResponse`) is read page by page with
//! key-based pagination (`next_key`, never offsets) until the node reports no next page,
//! with a bound on the number of pages and a check that the node does not send the same
//! `next_key` twice, so a broken or hostile node cannot keep the relayer in a loop.
//! Queries that carry a list of sequences are sent in chunks, so no request comes near
//! gRPC's message size limit however long the list.

use std::collections::HashSet;
use std::future::Future;

use ibc_proto::cosmos::base::query::v1beta1::{PageRequest, PageResponse};

use crate::chain::error::ChainError;

/// Items asked for per page.
pub const PAGE_LIMIT: u64 = 500;

/// The most pages one list query may take (5 million items at [`PAGE_LIMIT`]).
pub const MAX_PAGES: usize = 10_000;

/// The most sequences one request carries (about 10 KB on the wire).
pub const SEQUENCE_CHUNK: usize = 1_000;

/// One page of a list query: its items and the key the next page starts at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page<T> {
    /// The items of this page (a page may be empty and still have a next page).
    pub items: Vec<T>,
    /// Where the next page starts; empty when this is the last page.
    pub next_key: Vec<u8>,
}

impl<T> Page<T> {
    /// A page from a response's items and its `pagination` (absent: the last page).
    pub fn new(items: Vec<T>, pagination: Option<PageResponse>) -> Self {
        Self {
            items,
            next_key: pagination.map(|p| p.next_key).unwrap_or_default(),
        }
    }
}

/// The request for the page that starts at `key` (empty: the first page): [`PAGE_LIMIT`]
/// items, no offset, no total count.
pub fn page_at(key: Vec<u8>) -> PageRequest {
    PageRequest {
        key,
        offset: 0,
        limit: PAGE_LIMIT,
        count_total: false,
        reverse: false,
    }
}

/// Reads every page of the list query `method` on `chain`: `fetch` is called with the
/// request for each page (the first with an empty key, then with the previous page's
/// `next_key`) until a page has no `next_key`; the items are returned in the order read.
///
/// Fails with [`ChainError::Decode`] naming `method` when the node returns a `next_key`
/// it returned before (it would loop forever) or the query takes more than
/// [`MAX_PAGES`] pages; the first error of `fetch` is returned as it is.
pub async fn all_pages<T, F, Fut>(
    chain: &str,
    method: &'static str,
    fetch: F,
) -> Result<Vec<T>, ChainError>
where
    F: FnMut(PageRequest) -> Fut,
    Fut: Future<Output = Result<Page<T>, ChainError>>,
{
    pages_up_to(chain, method, MAX_PAGES, fetch).await
}

/// [`all_pages`] with the page bound as a parameter.
async fn pages_up_to<T, F, Fut>(
    chain: &str,
    method: &'static str,
    max_pages: usize,
    mut fetch: F,
) -> Result<Vec<T>, ChainError>
where
    F: FnMut(PageRequest) -> Fut,
    Fut: Future<Output = Result<Page<T>, ChainError>>,
{
    let mut items = Vec::new();
    let mut seen: HashSet<Vec<u8>> = HashSet::new();
    let mut key = Vec::new();
    for _ in 0..max_pages {
        let page = fetch(page_at(key)).await?;
        items.extend(page.items);
        if page.next_key.is_empty() {
            return Ok(items);
        }
        if !seen.insert(page.next_key.clone()) {
            return Err(paging_error(
                chain,
                method,
                format!(
                    "the node returned the next page key {} twice (pagination loop)",
                    hex::encode(&page.next_key)
                ),
            ));
        }
        key = page.next_key;
    }
    Err(paging_error(
        chain,
        method,
        format!("more than {max_pages} pages of {PAGE_LIMIT} items; giving up"),
    ))
}

fn paging_error(chain: &str, method: &'static str, detail: String) -> ChainError {
    ChainError::Decode {
        chain: chain.to_string(),
        method,
        detail,
    }
}

/// Splits `sequences` into the lists of at most [`SEQUENCE_CHUNK`] that requests carry.
pub fn sequence_chunks(sequences: &[u64]) -> std::slice::Chunks<'_, u64> {
    sequences.chunks(SEQUENCE_CHUNK)
}

/// Calls `fetch` once per chunk of `sequences` ([`sequence_chunks`]), one after the
/// other, and returns the answers concatenated in the order of the chunks. No call is
/// made for an empty list; the first error is returned as it is.
pub async fn in_chunks<T, F, Fut>(sequences: &[u64], mut fetch: F) -> Result<Vec<T>, ChainError>
where
    F: FnMut(Vec<u64>) -> Fut,
    Fut: Future<Output = Result<Vec<T>, ChainError>>,
{
    let mut out = Vec::new();
    for chunk in sequence_chunks(sequences) {
        out.extend(fetch(chunk.to_vec()).await?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::future::ready;

    use super::*;

    const METHOD: &str = "channel.PacketCommitments";

    /// A fake node: the page served for each request key.
    fn node(pages: &[(&str, Vec<u64>, &str)]) -> HashMap<Vec<u8>, Page<u64>> {
        pages
            .iter()
            .map(|(key, items, next)| {
                let page = Page {
                    items: items.clone(),
                    next_key: next.as_bytes().to_vec(),
                };
                (key.as_bytes().to_vec(), page)
            })
            .collect()
    }

    /// Walks `pages` with `max_pages`, returning the result and the requests made.
    async fn walk(
        pages: &[(&str, Vec<u64>, &str)],
        max_pages: usize,
    ) -> (Result<Vec<u64>, ChainError>, Vec<PageRequest>) {
        let node = node(pages);
        let mut requests = Vec::new();
        let result = pages_up_to("chain-a", METHOD, max_pages, |req: PageRequest| {
            let page = node
                .get(&req.key)
                .cloned()
                .ok_or_else(|| ChainError::NotFound {
                    chain: "chain-a".into(),
                    what: format!("page {:?}", req.key),
                });
            requests.push(req);
            ready(page)
        })
        .await;
        (result, requests)
    }

    fn keys(requests: &[PageRequest]) -> Vec<Vec<u8>> {
        requests.iter().map(|r| r.key.clone()).collect()
    }

    fn assert_paging_error(result: Result<Vec<u64>, ChainError>, needle: &str) {
        match result {
            Err(ChainError::Decode { method, detail, .. }) => {
                assert_eq!(method, METHOD);
                assert!(detail.contains(needle), "{detail}");
            }
            other => panic!("expected a paging error, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn three_pages_are_read_by_key_in_order() {
        let pages = [
            ("", vec![1, 2], "k2"),
            ("k2", vec![3, 4], "k3"),
            ("k3", vec![5], ""),
        ];
        let (result, requests) = walk(&pages, MAX_PAGES).await;
        assert_eq!(result.ok(), Some(vec![1, 2, 3, 4, 5]));
        assert_eq!(keys(&requests), [&b""[..], b"k2", b"k3"]);
        for req in &requests {
            assert_eq!((req.offset, req.limit), (0, PAGE_LIMIT));
            assert!(!req.count_total && !req.reverse);
        }
    }

    #[tokio::test]
    async fn an_empty_first_page_without_next_key_ends_the_walk() {
        let (result, requests) = walk(&[("", vec![], "")], MAX_PAGES).await;
        assert_eq!(result.ok(), Some(vec![]));
        assert_eq!(requests.len(), 1);
    }

    #[tokio::test]
    async fn an_empty_page_with_a_next_key_does_not_end_the_walk() {
        // Filtered pagination (e.g. ClientStates) can return a page with no items.
        let pages = [("", vec![], "k2"), ("k2", vec![7], "")];
        let (result, requests) = walk(&pages, MAX_PAGES).await;
        assert_eq!(result.ok(), Some(vec![7]));
        assert_eq!(requests.len(), 2);
    }

    #[tokio::test]
    async fn a_repeated_next_key_is_an_error_naming_the_method() {
        let pages = [("", vec![1], "k2"), ("k2", vec![2], "k2")];
        let (result, requests) = walk(&pages, MAX_PAGES).await;
        assert_paging_error(result, "twice");
        assert_eq!(requests.len(), 2);
    }

    #[tokio::test]
    async fn a_cycle_of_next_keys_is_an_error() {
        let pages = [
            ("", vec![1], "k2"),
            ("k2", vec![2], "k3"),
            ("k3", vec![3], "k2"),
        ];
        let (result, requests) = walk(&pages, MAX_PAGES).await;
        assert_paging_error(result, "twice");
        assert_eq!(requests.len(), 3);
    }

    #[tokio::test]
    async fn the_page_cap_stops_a_node_that_never_ends() {
        let pages = [
            ("", vec![1], "k2"),
            ("k2", vec![2], "k3"),
            ("k3", vec![3], "k4"),
            ("k4", vec![4], ""),
        ];
        let (result, requests) = walk(&pages, 3).await;
        assert_paging_error(result, "more than 3 pages");
        assert_eq!(requests.len(), 3);
        // The same walk fits in four pages.
        let (result, _) = walk(&pages, 4).await;
        assert_eq!(result.ok(), Some(vec![1, 2, 3, 4]));
    }

    #[tokio::test]
    async fn all_pages_is_bounded_by_max_pages() {
        let mut calls = 0u64;
        let result = all_pages("chain-a", METHOD, |_req: PageRequest| {
            calls += 1;
            // A fresh key on every page: never repeated, never ending.
            ready(Ok(Page {
                items: vec![calls],
                next_key: calls.to_be_bytes().to_vec(),
            }))
        })
        .await;
        assert_paging_error(result, "more than 10000 pages");
        assert_eq!(calls, MAX_PAGES as u64);
    }

    #[tokio::test]
    async fn a_failed_page_fails_the_walk() {
        // The second page is missing from the fake node.
        let (result, requests) = walk(&[("", vec![1], "k2")], MAX_PAGES).await;
        assert!(matches!(result, Err(ChainError::NotFound { .. })));
        assert_eq!(requests.len(), 2);
    }

    #[test]
    fn a_page_without_pagination_is_the_last() {
        let page = Page::new(vec![1u64], None);
        assert!(page.next_key.is_empty());
        let response = PageResponse {
            next_key: b"k2".to_vec(),
            total: 0,
        };
        assert_eq!(Page::new(vec![1u64], Some(response)).next_key, b"k2");
    }

    #[test]
    fn sequences_are_split_in_chunks_of_at_most_the_chunk_size() {
        let seqs: Vec<u64> = (1..=2_500).collect();
        let sizes: Vec<usize> = sequence_chunks(&seqs).map(<[u64]>::len).collect();
        assert_eq!(sizes, [SEQUENCE_CHUNK, SEQUENCE_CHUNK, 500]);
        let exact: Vec<u64> = (1..=1_000).collect();
        assert_eq!(sequence_chunks(&exact).count(), 1);
        assert_eq!(sequence_chunks(&[]).count(), 0);
    }

    #[tokio::test]
    async fn chunked_answers_are_merged_in_order() {
        // Unsorted input: answers keep the order of the request.
        let seqs: Vec<u64> = (1..=2_500).rev().collect();
        let mut requests: Vec<Vec<u64>> = Vec::new();
        let result = in_chunks(&seqs, |chunk| {
            let odd: Vec<u64> = chunk.iter().copied().filter(|s| s % 2 == 1).collect();
            requests.push(chunk);
            ready(Ok(odd))
        })
        .await;
        let expected: Vec<u64> = seqs.iter().copied().filter(|s| s % 2 == 1).collect();
        assert_eq!(result.ok(), Some(expected));
        assert_eq!(requests.len(), 3);
        assert!(requests.iter().all(|r| r.len() <= SEQUENCE_CHUNK));
        assert_eq!(requests.concat(), seqs);
    }

    #[tokio::test]
    async fn no_request_is_made_for_no_sequences() {
        let mut calls = 0;
        let result = in_chunks(&[], |_chunk| {
            calls += 1;
            ready(Ok(Vec::<u64>::new()))
        })
        .await;
        assert_eq!(result.ok(), Some(vec![]));
        assert_eq!(calls, 0);
    }

    #[tokio::test]
    async fn a_failed_chunk_fails_the_query() {
        let seqs: Vec<u64> = (1..=3_000).collect();
        let mut calls = 0;
        let result = in_chunks(&seqs, |chunk| {
            calls += 1;
            ready(if calls == 2 {
                Err(ChainError::NotFound {
                    chain: "chain-b".into(),
                    what: "chunk".into(),
                })
            } else {
                Ok(chunk)
            })
        })
        .await;
        assert!(matches!(result, Err(ChainError::NotFound { .. })));
        assert_eq!(calls, 2);
    }
}
